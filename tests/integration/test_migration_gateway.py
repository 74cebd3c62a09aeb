"""The gateway migration (0003_gateway) on a database that already holds agents and runs."""

from __future__ import annotations

import json

import sqlalchemy as sa
from alembic import command

from backend.db import alembic_config, get_engine

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
    "INSERT INTO runs (id, workspace_id, agent_id, user_id, conversation_id, blueprint_version_id, provider, model, "
    "status, prompt_tokens, completion_tokens, cost_usd, cost_note, error, created_at) VALUES ('r1', 'w1', 'a1', 'u1', "
    "'c1', 'b1', '', 'm', 'succeeded', 1, 1, 0.0, '', '', '2026-01-01 00:00:00')",
]


def _json(value: object) -> object:
    return json.loads(value) if isinstance(value, str) else value


def test_gateway_migration_keeps_existing_rows_both_ways(fresh_url: str) -> None:
    cfg = alembic_config(fresh_url)
    command.upgrade(cfg, "0002")
    engine = get_engine(fresh_url)
    with engine.begin() as conn:
        for row in ROWS:
            conn.execute(sa.text(row))
    command.upgrade(cfg, "0003_gateway")
    with engine.connect() as conn:
        assert _json(conn.execute(sa.text("SELECT fallbacks FROM blueprint_versions")).scalar_one()) == []
        assert _json(conn.execute(sa.text("SELECT fallback_path FROM runs")).scalar_one()) == []
    command.downgrade(cfg, "0002")
    inspector = sa.inspect(engine)
    assert "usage_records" not in inspector.get_table_names()
    assert "fallbacks" not in {c["name"] for c in inspector.get_columns("blueprint_versions")}
    with engine.connect() as conn:
        assert conn.execute(sa.text("SELECT count(*) FROM runs")).scalar_one() == 1
        assert conn.execute(sa.text("SELECT count(*) FROM conversations")).scalar_one() == 1
    command.upgrade(cfg, "heads")
