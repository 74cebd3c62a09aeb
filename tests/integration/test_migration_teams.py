"""The teams migration (0019): members become builders, sessions get a workspace, audit rows are
append-only; downgrade gives the old role back."""

from __future__ import annotations

import pytest
import sqlalchemy as sa
from alembic import command

from backend.db import alembic_config, get_engine
from tests.support.migration_rows import ROWS


def test_members_become_builders_and_audit_events_are_append_only(fresh_url: str) -> None:
    cfg = alembic_config(fresh_url)
    command.upgrade(cfg, "0016_usage_rollup")
    engine = get_engine(fresh_url)
    with engine.begin() as conn:
        for row in ROWS[:2]:
            conn.execute(sa.text(row))
        conn.execute(
            sa.text(
                "INSERT INTO users (id, email, password_hash, created_at, is_platform_admin) "
                "VALUES ('u2', 'm@b.c', 'x', '2026-01-01 00:00:00', false)"
            )
        )
        conn.execute(
            sa.text(
                "INSERT INTO memberships (workspace_id, user_id, role, created_at) "
                "VALUES ('w1', 'u1', 'owner', '2026-01-01'), ('w1', 'u2', 'member', '2026-01-01')"
            )
        )
    command.upgrade(cfg, "0019_teams")
    with engine.begin() as conn:
        roles = dict(conn.execute(sa.text("SELECT user_id, role FROM memberships")).all())
        conn.execute(
            sa.text(
                "INSERT INTO audit_events (id, workspace_id, actor_user_id, actor_email, action, "
                "target_kind, target_id, summary, created_at) VALUES "
                "('e1', 'w1', 'u1', 'a@b.c', 'member.invited', '', '', 'x', '2026-01-01')"
            )
        )
    assert roles == {"u1": "owner", "u2": "builder"}
    assert "workspace_id" in {c["name"] for c in sa.inspect(engine).get_columns("auth_sessions")}
    with engine.connect() as conn, pytest.raises(sa.exc.DBAPIError, match="append-only"):
        conn.execute(sa.text("DELETE FROM audit_events"))
    command.downgrade(cfg, "0016_usage_rollup")
    engine.dispose()
    with engine.connect() as conn:
        assert dict(conn.execute(sa.text("SELECT user_id, role FROM memberships")).all())["u2"] == "member"
    assert "audit_events" not in sa.inspect(engine).get_table_names()
    command.upgrade(cfg, "heads")
    engine.dispose()
