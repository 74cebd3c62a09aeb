"""The budget migration (0014): float ``limit_usd`` caps become integer ``limit_nano``, exactly, both ways."""

from __future__ import annotations

import sqlalchemy as sa
from alembic import command

from backend.db import alembic_config, get_engine
from tests.support.migration_rows import ROWS

LIMITS = {
    "b1": 0.1 + 0.2,  # 0.30000000000000004 as a float
    "b2": 0.01,
    "b3": 1_000_000.0,
    "b4": 1.0000000005,  # half a nano-dollar above $1: rounds up
    "b5": 0.0000000025,  # 2.5 nano-dollars: rounds up to 3
    "b6": 12.345678901,
    "b7": None,  # a token cap only
}
EXPECTED = {
    "b1": 300_000_000,
    "b2": 10_000_000,
    "b3": 1_000_000_000_000_000,
    "b4": 1_000_000_001,
    "b5": 3,
    "b6": 12_345_678_901,
    "b7": None,
}
BUDGET = (
    "INSERT INTO budgets (id, workspace_id, scope, scope_id, period, limit_usd, token_limit, created_by, created_at, "
    "updated_at) VALUES (:id, 'w1', 'agent', :id, 'day', :usd, 1000, 'u1', '2026-01-01 00:00:00', "
    "'2026-01-01 00:00:00')"
)


def _columns(engine: sa.Engine) -> set[str]:
    return {c["name"] for c in sa.inspect(engine).get_columns("budgets")}


def test_budget_limits_become_exact_nano_usd_and_back(fresh_url: str) -> None:
    cfg = alembic_config(fresh_url)
    command.upgrade(cfg, "0013_agent_draft")
    engine = get_engine(fresh_url)
    with engine.begin() as conn:
        for row in ROWS[:2]:  # a user and a workspace
            conn.execute(sa.text(row))
        conn.execute(sa.text(BUDGET), [{"id": bid, "usd": usd} for bid, usd in LIMITS.items()])
    command.upgrade(cfg, "0014_budget_nano")
    engine.dispose()
    assert "limit_nano" in _columns(engine) and "limit_usd" not in _columns(engine)
    with engine.connect() as conn:
        stored = dict(conn.execute(sa.text("SELECT id, limit_nano FROM budgets")).all())
        tokens = {r[0] for r in conn.execute(sa.text("SELECT token_limit FROM budgets"))}
    assert stored == EXPECTED and tokens == {1000}
    command.downgrade(cfg, "0013_agent_draft")
    engine.dispose()
    assert "limit_usd" in _columns(engine) and "limit_nano" not in _columns(engine)
    with engine.connect() as conn:
        back = dict(conn.execute(sa.text("SELECT id, limit_usd FROM budgets")).all())
    assert back["b7"] is None
    assert {bid: round(usd * 1_000_000_000) for bid, usd in back.items() if usd is not None} == {
        bid: nano for bid, nano in EXPECTED.items() if nano is not None
    }
    command.upgrade(cfg, "heads")
    engine.dispose()
    assert "limit_nano" in _columns(engine)
