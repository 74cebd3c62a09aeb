"""identities: sign-in identities at outside providers (Google, GitHub, OpenID Connect).

Adds ``user_identities`` (provider, subject, user_id, email, linked_at), unique on
``(provider, subject)``, indexed on ``user_id``; and ``oidc_flows`` (sign-ins under way: id = the
SHA-256 of the browser's handle, the vault-encrypted flow, expires_at); ``user_two_factor`` (TOTP
secret vault-encrypted, last accepted time step, hashed recovery codes); and
``workspaces.require_two_factor`` (false for every existing workspace).

Revision ID: 0023_identities
Revises: 0022_rollup_weekly
"""

from __future__ import annotations

import sqlalchemy as sa
import sqlmodel
from alembic import op

revision = "0023_identities"
down_revision = "0022_rollup_weekly"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "user_identities",
        sa.Column("id", sa.String(length=32), primary_key=True),
        sa.Column("provider", sa.String(length=32), nullable=False),
        sa.Column("subject", sa.String(length=255), nullable=False),
        sa.Column("user_id", sa.String(length=32), sa.ForeignKey("users.id"), nullable=False),
        sa.Column("email", sa.String(length=254), nullable=False),
        sa.Column("linked_at", sqlmodel.sql.sqltypes.UTCDateTime(), nullable=False),
        sa.UniqueConstraint("provider", "subject", name="uq_user_identities_provider_subject"),
    )
    op.create_index("ix_user_identities_user_id", "user_identities", ["user_id"])
    op.create_table(
        "oidc_flows",
        sa.Column("id", sa.String(length=64), primary_key=True),
        sa.Column("data", sa.Text(), nullable=True),
        sa.Column("created_at", sqlmodel.sql.sqltypes.UTCDateTime(), nullable=False),
        sa.Column("expires_at", sqlmodel.sql.sqltypes.UTCDateTime(), nullable=False),
    )
    op.create_index("ix_oidc_flows_expires_at", "oidc_flows", ["expires_at"])
    op.create_table(
        "user_two_factor",
        sa.Column("id", sa.String(length=32), primary_key=True),
        sa.Column("user_id", sa.String(length=32), sa.ForeignKey("users.id"), nullable=False),
        sa.Column("secret", sa.Text(), nullable=True),
        sa.Column("enabled_at", sqlmodel.sql.sqltypes.UTCDateTime(), nullable=True),
        sa.Column("last_step", sa.BigInteger(), nullable=False),
        sa.Column("recovery_hashes", sa.Text(), nullable=False),
        sa.Column("created_at", sqlmodel.sql.sqltypes.UTCDateTime(), nullable=False),
    )
    op.create_index("ix_user_two_factor_user_id", "user_two_factor", ["user_id"], unique=True)
    # A plain ADD COLUMN (a constant default works on SQLite too): a batch copy of ``workspaces``
    # would drop a table that other tables' foreign keys point at.
    op.add_column(
        "workspaces", sa.Column("require_two_factor", sa.Boolean(), nullable=False, server_default=sa.false())
    )


def downgrade() -> None:
    op.drop_column("workspaces", "require_two_factor")  # SQLite >= 3.35
    op.drop_index("ix_user_two_factor_user_id", table_name="user_two_factor")
    op.drop_table("user_two_factor")
    op.drop_index("ix_oidc_flows_expires_at", table_name="oidc_flows")
    op.drop_table("oidc_flows")
    op.drop_index("ix_user_identities_user_id", table_name="user_identities")
    op.drop_table("user_identities")
