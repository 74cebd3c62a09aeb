"""The money migration (0010): float USD costs become integer nano-USD without loss, both ways."""

from __future__ import annotations

import sqlalchemy as sa
from alembic import command

from backend.db import alembic_config, get_engine
from tests.support.migration_rows import ROWS

COSTS = {"r1": 0.000123456789, "r2": 1234.5, "r3": 0.0, "r4": 0.1 + 0.2}
"""Amounts a float column held (0.1 + 0.2 is 0.30000000000000004 as a float)."""


def _insert(conn: sa.Connection) -> None:
    conn.execute(
        sa.text(
            "INSERT INTO conversations (id, workspace_id, agent_id, user_id, blueprint_version_id, model, title, "
            "created_at, updated_at) VALUES ('c1', 'w1', 'a1', 'u1', 'b1', 'm', 't', '2026-01-01 00:00:00', "
            "'2026-01-01 00:00:00')"
        )
    )
    for rid, usd in COSTS.items():
        conn.execute(
            sa.text(
                "INSERT INTO runs (id, workspace_id, agent_id, user_id, conversation_id, blueprint_version_id, "
                "provider, model, status, prompt_tokens, completion_tokens, cost_usd, cost_note, error, created_at, "
                "fallback_path) VALUES (:id, 'w1', 'a1', 'u1', 'c1', 'b1', '', 'm', 'succeeded', 1, 1, :usd, '', '', "
                "'2026-01-01 00:00:00', '[]')"
            ),
            {"id": rid, "usd": usd},
        )
        conn.execute(
            sa.text(
                "INSERT INTO usage_records (id, workspace_id, run_id, provider, model, prompt_tokens, "
                "completion_tokens, cached_tokens, cost_usd, cost_note, latency_ms, status, error_class, error, "
                "fallback_path, streamed, created_at) VALUES (:id, 'w1', :run, '', 'm', 1, 1, 0, :usd, '', 0, 'ok', "
                "'', '', '[]', true, '2026-01-01 00:00:00')"
            ),
            {"id": "u" + rid, "run": rid, "usd": usd},
        )


def test_costs_become_exact_nano_usd_and_back(fresh_url: str) -> None:
    cfg = alembic_config(fresh_url)
    command.upgrade(cfg, "0009_run_heartbeat")
    engine = get_engine(fresh_url)
    with engine.begin() as conn:
        for row in ROWS[:4]:  # a user, a workspace, an agent and its blueprint
            conn.execute(sa.text(row))
        _insert(conn)
    command.upgrade(cfg, "0010_money_nano")
    expected = {rid: round(usd * 1_000_000_000) for rid, usd in COSTS.items()}
    assert expected == {"r1": 123457, "r2": 1_234_500_000_000, "r3": 0, "r4": 300_000_000}
    with engine.connect() as conn:
        runs = dict(conn.execute(sa.text("SELECT id, cost_nano_usd FROM runs")).all())
        usage = dict(conn.execute(sa.text("SELECT run_id, cost_nano_usd FROM usage_records")).all())
    assert runs == expected and usage == expected
    assert "billing_outbox" in sa.inspect(engine).get_table_names()
    command.downgrade(cfg, "0009_run_heartbeat")
    engine.dispose()
    inspector = sa.inspect(engine)
    assert "billing_outbox" not in inspector.get_table_names()
    assert "cost_nano_usd" not in {c["name"] for c in inspector.get_columns("runs")}
    with engine.connect() as conn:
        back = dict(conn.execute(sa.text("SELECT id, cost_usd FROM runs")).all())
    assert {rid: round(usd * 1_000_000_000) for rid, usd in back.items()} == expected
    command.upgrade(cfg, "heads")
    engine.dispose()
    assert "cost_nano_usd" in {c["name"] for c in sa.inspect(engine).get_columns("usage_records")}
