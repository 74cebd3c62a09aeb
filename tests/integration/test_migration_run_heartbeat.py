"""The run-heartbeat migration (0009): crash-safety columns come and go on both databases."""

from __future__ import annotations

import sqlalchemy as sa
from alembic import command

from backend.db import alembic_config, get_engine

RUN_COLUMNS = {"heartbeat_at", "partial_text", "inflight"}


def _columns(engine: sa.Engine, table: str) -> set[str]:
    return {c["name"] for c in sa.inspect(engine).get_columns(table)}


def test_run_heartbeat_upgrade_and_downgrade(fresh_url: str) -> None:
    cfg = alembic_config(fresh_url)
    command.upgrade(cfg, "heads")
    engine = get_engine(fresh_url)
    assert RUN_COLUMNS <= _columns(engine, "runs") and "run_id" in _columns(engine, "budget_reservations")
    command.downgrade(cfg, "0009_run_heartbeat-1")
    engine.dispose()
    assert not RUN_COLUMNS & _columns(engine, "runs") and "run_id" not in _columns(engine, "budget_reservations")
    command.upgrade(cfg, "heads")
    engine.dispose()
    assert RUN_COLUMNS <= _columns(engine, "runs") and "run_id" in _columns(engine, "budget_reservations")
