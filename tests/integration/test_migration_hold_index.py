"""The hold-index migration (0012): settled holds pruned, a partial index over unsettled ones, and back."""

from __future__ import annotations

import sqlalchemy as sa
from alembic import command

from backend.db import alembic_config, get_engine

HOLD = (
    "INSERT INTO budget_reservations (id, hold_id, counter_id, amount_nanousd, tokens, expires_at, settled, expired,"
    " created_at) VALUES (:id, :id, 'c1', 5, 1, '2026-01-01 00:00:00', :settled, false, '2026-01-01 00:00:00')"
)


def _indexes(engine: sa.Engine) -> set[str]:
    return {i["name"] for i in sa.inspect(engine).get_indexes("budget_reservations") if i["name"]}


def _seed(engine: sa.Engine) -> None:
    """One settled and one unsettled hold on a counter that does not exist (foreign keys off)."""
    with engine.begin() as conn:
        if conn.dialect.name == "postgresql":
            conn.exec_driver_sql("SET LOCAL session_replication_role = replica")
        else:
            conn.exec_driver_sql("PRAGMA foreign_keys=OFF")
        conn.execute(sa.text(HOLD), [{"id": "settled1", "settled": True}, {"id": "open1", "settled": False}])
        if conn.dialect.name != "postgresql":
            conn.exec_driver_sql("PRAGMA foreign_keys=ON")


def test_hold_index_prunes_settled_holds_and_comes_and_goes(fresh_url: str) -> None:
    cfg = alembic_config(fresh_url)
    command.upgrade(cfg, "0011_agent_grants")
    engine = get_engine(fresh_url)
    _seed(engine)
    assert "ix_budget_reservations_expires_at" in _indexes(engine)
    command.upgrade(cfg, "0012_hold_index")
    engine.dispose()
    indexes = _indexes(engine)
    assert "ix_budget_reservations_unsettled" in indexes and "ix_budget_reservations_expires_at" not in indexes
    with engine.connect() as conn:
        ids = {r[0] for r in conn.execute(sa.text("SELECT id FROM budget_reservations"))}
    assert ids == {"open1"}  # the hold in progress is kept with its money; the settled one is gone
    command.downgrade(cfg, "0011_agent_grants")
    engine.dispose()
    indexes = _indexes(engine)
    assert "ix_budget_reservations_expires_at" in indexes and "ix_budget_reservations_unsettled" not in indexes
    command.upgrade(cfg, "heads")
    engine.dispose()
    assert "ix_budget_reservations_unsettled" in _indexes(engine)
