"""The tools migration (0005_tools) on a database that already holds agents: up, down, up."""

from __future__ import annotations

import json

import sqlalchemy as sa
from alembic import command

from backend.db import alembic_config, get_engine
from tests.support.migration_rows import ROWS as SEED_ROWS

TOOL_TABLES = {"tool_audit", "tasks", "notes", "notifications", "custom_tools"}
COLUMNS = {"tools", "allowed_domains", "approval_tools"}
ROWS = SEED_ROWS[:5]  # a user, a workspace, an agent, its blueprint and a conversation


def _json(value: object) -> object:
    return json.loads(value) if isinstance(value, str) else value


def test_tools_migration_keeps_existing_rows_both_ways(fresh_url: str) -> None:
    cfg = alembic_config(fresh_url)
    command.upgrade(cfg, "0002")
    engine = get_engine(fresh_url)
    with engine.begin() as conn:
        for row in ROWS:
            conn.execute(sa.text(row))
    command.upgrade(cfg, "0005_tools")
    inspector = sa.inspect(engine)
    assert TOOL_TABLES <= set(inspector.get_table_names())
    assert COLUMNS <= {c["name"] for c in inspector.get_columns("blueprint_versions")}
    with engine.begin() as conn:
        row = conn.execute(sa.text("SELECT tools, allowed_domains, approval_tools FROM blueprint_versions")).one()
        assert [_json(v) for v in row] == [[], [], []]
        conn.execute(
            sa.text(
                "INSERT INTO tasks (id, workspace_id, title, details, status, created_by, created_at) "
                "VALUES ('t1', 'w1', 'Do it', '', 'open', 'u1', '2026-01-02 00:00:00')"
            )
        )
    command.downgrade(cfg, "0002")
    inspector = sa.inspect(engine)
    assert not TOOL_TABLES & set(inspector.get_table_names())
    assert not COLUMNS & {c["name"] for c in inspector.get_columns("blueprint_versions")}
    with engine.connect() as conn:
        assert conn.execute(sa.text("SELECT count(*) FROM blueprint_versions")).scalar_one() == 1
        assert conn.execute(sa.text("SELECT count(*) FROM conversations")).scalar_one() == 1
    command.upgrade(cfg, "heads")
    assert TOOL_TABLES <= set(sa.inspect(engine).get_table_names())
