"""agent grants and the run principal: users of other workspaces may run an agent; usage
records say who called (member, grant or API key).

Revision ID: 0011_agent_grants
Revises: 0010_money_nano
"""

from __future__ import annotations

import sqlalchemy as sa
import sqlmodel
from alembic import op

revision = "0011_agent_grants"
down_revision = "0010_money_nano"
branch_labels = None
depends_on = None


def _id(name: str) -> sa.Column:  # type: ignore[type-arg]
    return sa.Column(name, sqlmodel.sql.sqltypes.AutoString(length=32), nullable=False)


def upgrade() -> None:
    op.create_table(
        "agent_grants",
        _id("id"),
        _id("agent_id"),
        _id("owner_workspace_id"),
        _id("grantee_user_id"),
        sa.Column("created_at", sqlmodel.sql.sqltypes.UTCDateTime(), nullable=False),
        sa.Column("revoked_at", sqlmodel.sql.sqltypes.UTCDateTime(), nullable=True),
        sa.ForeignKeyConstraint(["agent_id"], ["agents.id"]),
        sa.ForeignKeyConstraint(["owner_workspace_id"], ["workspaces.id"]),
        sa.ForeignKeyConstraint(["grantee_user_id"], ["users.id"]),
        sa.PrimaryKeyConstraint("id"),
    )
    for column in ("agent_id", "owner_workspace_id", "grantee_user_id"):
        op.create_index(f"ix_agent_grants_{column}", "agent_grants", [column], unique=False)
    with op.batch_alter_table("usage_records") as batch:
        batch.add_column(
            sa.Column("caller_kind", sqlmodel.sql.sqltypes.AutoString(length=20), nullable=False, server_default="")
        )
        batch.add_column(sa.Column("caller_id", sqlmodel.sql.sqltypes.AutoString(length=32), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("usage_records") as batch:
        batch.drop_column("caller_id")
        batch.drop_column("caller_kind")
    for column in ("agent_id", "owner_workspace_id", "grantee_user_id"):
        op.drop_index(f"ix_agent_grants_{column}", table_name="agent_grants")
    op.drop_table("agent_grants")
