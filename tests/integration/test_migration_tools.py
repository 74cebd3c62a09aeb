"""The tools migration (0005_tools) on a database that already holds agents: up, down, up."""

from __future__ import annotations

import json

import sqlalchemy as sa
from alembic import command

from backend.db import alembic_config, get_engine

TOOL_TABLES = {"tool_audit", "tasks", "notes", "notifications", "custom_tools"}
COLUMNS = {"tools", "allowed_domains", "approval_tools"}
ROWS = [
    "INSERT INTO users (id, email, password_hash, created_at) VALUES ('u1', 'a@b.c', 'x', '2026-01-01 00:00:00')",
    "INSERT INTO workspaces (id, name, owner_id, personal, created_at) "
    "VALUES ('w1', 'W', 'u1', true, '2026-01-01 00:00:00')",
    "INSERT INTO agents (id, workspace_id, current_version, created_by, created_at, updated_at) "
    "VALUES ('a1', 'w1', 1, 'u1', '2026-01-01 00:00:00', '2026-01-01 00:00:00')",
    "INSERT INTO blueprint_versions (id, agent_id, version, note, created_by, created_at, name, description, avatar, "
    "connection_id, model, instructions, temperature, max_tokens, starters) VALUES ('b1', 'a1', 1, '', 'u1', "
    "'2026-01-01 00:00:00', 'Agent', '', 'x', NULL, 'm', '', 0.7, 100, '[]')",
    "INSERT INTO conversations (id, workspace_id, agent_id, user_id, blueprint_version_id, model, title, created_at, "
    "updated_at) VALUES ('c1', 'w1', 'a1', 'u1', 'b1', 'm', 't', '2026-01-01 00:00:00', '2026-01-01 00:00:00')",
]


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
