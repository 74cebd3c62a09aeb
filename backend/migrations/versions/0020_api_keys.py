"""api keys: the developer API's keys (hashed, named, scoped, expiring, revocable).

Adds ``api_keys`` (see backend/models/api_key.py). A key's own rate limit and budget are rows of
``rate_limit_rules`` / ``budgets`` with scope ``api_key`` (no schema change there).

Revision ID: 0020_api_keys
Revises: 0019_teams
"""

from __future__ import annotations

import sqlalchemy as sa
import sqlmodel
from alembic import op

revision = "0020_api_keys"
down_revision = "0019_teams"
branch_labels = None
depends_on = None


def _str(name: str, length: int, nullable: bool = False) -> sa.Column:  # type: ignore[type-arg]
    return sa.Column(name, sqlmodel.sql.sqltypes.AutoString(length=length), nullable=nullable)


def _time(name: str, nullable: bool = True) -> sa.Column:  # type: ignore[type-arg]
    return sa.Column(name, sqlmodel.sql.sqltypes.UTCDateTime(), nullable=nullable)


def upgrade() -> None:
    op.create_table(
        "api_keys",
        _str("id", 32),
        _str("workspace_id", 32),
        _str("created_by", 32),
        _str("name", 80),
        _str("kind", 12),
        _str("prefix", 16),
        _str("key_hash", 64),
        _str("scope", 20),
        _str("scope_id", 64),
        sa.Column("allowed_origins", sa.JSON(), nullable=False),
        _time("expires_at"),
        _time("revoked_at"),
        _time("last_used_at"),
        _time("created_at", nullable=False),
        sa.ForeignKeyConstraint(["workspace_id"], ["workspaces.id"]),
        sa.ForeignKeyConstraint(["created_by"], ["users.id"]),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index("ix_api_keys_workspace_id", "api_keys", ["workspace_id"])
    op.create_index("ix_api_keys_created_by", "api_keys", ["created_by"])
    op.create_index("ix_api_keys_key_hash", "api_keys", ["key_hash"], unique=True)


def downgrade() -> None:
    for name in ("ix_api_keys_key_hash", "ix_api_keys_created_by", "ix_api_keys_workspace_id"):
        op.drop_index(name, table_name="api_keys")
    op.drop_table("api_keys")
