"""session activity: idle expiry (``auth_sessions.last_seen_at``) and single-use login tickets.

Revision ID: 0008_session_activity
Revises: 0007_citation_labels
"""

from __future__ import annotations

import sqlalchemy as sa
import sqlmodel
from alembic import op

revision = "0008_session_activity"
down_revision = "0007_citation_labels"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("auth_sessions") as batch:
        batch.add_column(sa.Column("last_seen_at", sqlmodel.sql.sqltypes.UTCDateTime(), nullable=True))
    op.create_table(
        "login_tickets",
        sa.Column("id", sqlmodel.sql.sqltypes.AutoString(length=32), nullable=False),
        sa.Column("ticket_hash", sqlmodel.sql.sqltypes.AutoString(length=64), nullable=False),
        sa.Column("auth_session_id", sqlmodel.sql.sqltypes.AutoString(length=32), nullable=False),
        sa.Column("expires_at", sqlmodel.sql.sqltypes.UTCDateTime(), nullable=False),
        sa.Column("used_at", sqlmodel.sql.sqltypes.UTCDateTime(), nullable=True),
        sa.ForeignKeyConstraint(["auth_session_id"], ["auth_sessions.id"]),
        sa.PrimaryKeyConstraint("id"),
    )
    with op.batch_alter_table("login_tickets") as batch:
        batch.create_index("ix_login_tickets_ticket_hash", ["ticket_hash"], unique=True)
        batch.create_index("ix_login_tickets_auth_session_id", ["auth_session_id"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("login_tickets") as batch:
        batch.drop_index("ix_login_tickets_auth_session_id")
        batch.drop_index("ix_login_tickets_ticket_hash")
    op.drop_table("login_tickets")
    with op.batch_alter_table("auth_sessions") as batch:
        batch.drop_column("last_seen_at")
