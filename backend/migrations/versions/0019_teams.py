"""teams: several workspaces per user, four roles, invitations and the audit trail (issue 16).

Adds ``workspaces.deleted_at``, ``auth_sessions.workspace_id`` (the browser's current workspace),
``invitations`` and ``audit_events``; renames the ``member`` role to ``builder`` (members could
edit agents). A trigger (PostgreSQL and SQLite) refuses UPDATE and DELETE on ``audit_events`` (append-only).
Downgrade maps ``builder`` and ``viewer`` back to ``member``.

Revision ID: 0019_teams
Revises: 0017_billing
"""

from __future__ import annotations

import sqlalchemy as sa
import sqlmodel
from alembic import op

revision = "0019_teams"
down_revision = "0017_billing"
branch_labels = None
depends_on = None

_S = sqlmodel.sql.sqltypes.AutoString
_T = sqlmodel.sql.sqltypes.UTCDateTime

_TRIGGER = """
CREATE OR REPLACE FUNCTION audit_events_append_only() RETURNS trigger AS $$
BEGIN
    RAISE EXCEPTION 'audit_events is append-only';
END;
$$ LANGUAGE plpgsql;
CREATE TRIGGER audit_events_append_only BEFORE UPDATE OR DELETE ON audit_events
    FOR EACH ROW EXECUTE FUNCTION audit_events_append_only();
"""
_SQLITE_TRIGGERS = [
    f"CREATE TRIGGER audit_events_no_{verb.lower()} BEFORE {verb} ON audit_events "
    "BEGIN SELECT RAISE(ABORT, 'audit_events is append-only'); END"
    for verb in ("UPDATE", "DELETE")
]


def upgrade() -> None:
    with op.batch_alter_table("workspaces") as batch:
        batch.add_column(sa.Column("deleted_at", _T(), nullable=True))
    with op.batch_alter_table("auth_sessions") as batch:
        batch.add_column(sa.Column("workspace_id", _S(length=32), nullable=True))
        batch.create_index("ix_auth_sessions_workspace_id", ["workspace_id"])
    op.create_table(
        "invitations",
        sa.Column("id", _S(length=32), primary_key=True),
        sa.Column("workspace_id", _S(length=32), sa.ForeignKey("workspaces.id"), nullable=False),
        sa.Column("email", _S(length=254), nullable=False),
        sa.Column("role", _S(length=20), nullable=False),
        sa.Column("token_hash", _S(length=64), nullable=False),
        sa.Column("invited_by", _S(length=32), sa.ForeignKey("users.id"), nullable=False),
        sa.Column("created_at", _T(), nullable=False),
        sa.Column("expires_at", _T(), nullable=False),
        sa.Column("accepted_at", _T(), nullable=True),
        sa.Column("accepted_by", _S(length=32), sa.ForeignKey("users.id"), nullable=True),
        sa.Column("revoked_at", _T(), nullable=True),
        sa.Column("delivery", _S(length=10), nullable=False, server_default="link"),
    )
    op.create_index("ix_invitations_workspace_id", "invitations", ["workspace_id"])
    op.create_index("ix_invitations_token_hash", "invitations", ["token_hash"], unique=True)
    op.create_table(
        "audit_events",
        sa.Column("id", _S(length=32), primary_key=True),
        sa.Column("workspace_id", _S(length=32), nullable=False),
        sa.Column("actor_user_id", _S(length=32), nullable=False),
        sa.Column("actor_email", _S(length=254), nullable=False),
        sa.Column("action", _S(length=60), nullable=False),
        sa.Column("target_kind", _S(length=30), nullable=False),
        sa.Column("target_id", _S(length=64), nullable=False),
        sa.Column("summary", sa.Text(), nullable=False),
        sa.Column("created_at", _T(), nullable=False),
    )
    op.create_index("ix_audit_events_workspace_created", "audit_events", ["workspace_id", "created_at"])
    op.create_index("ix_audit_events_created_at", "audit_events", ["created_at"])
    op.execute("UPDATE memberships SET role = 'builder' WHERE role = 'member'")
    if op.get_bind().dialect.name == "postgresql":
        op.execute(_TRIGGER)
    else:
        for statement in _SQLITE_TRIGGERS:
            op.execute(statement)


def downgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        op.execute("DROP TRIGGER IF EXISTS audit_events_append_only ON audit_events")
        op.execute("DROP FUNCTION IF EXISTS audit_events_append_only()")
    else:
        op.execute("DROP TRIGGER IF EXISTS audit_events_no_update")
        op.execute("DROP TRIGGER IF EXISTS audit_events_no_delete")
    op.execute("UPDATE memberships SET role = 'member' WHERE role IN ('builder', 'viewer')")
    op.drop_table("audit_events")
    op.drop_table("invitations")
    # Plain DROP COLUMN (SQLite 3.35+): a batch copy of ``workspaces`` would trip the foreign keys.
    op.drop_index("ix_auth_sessions_workspace_id", table_name="auth_sessions")
    op.drop_column("auth_sessions", "workspace_id")
    op.drop_column("workspaces", "deleted_at")
