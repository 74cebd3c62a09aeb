"""Migrations apply, roll back and re-apply on a brand-new database of the active profile."""

from __future__ import annotations

import sqlalchemy as sa
from alembic import command

from backend.db import alembic_config, get_engine

TABLES = {
    "users",
    "workspaces",
    "memberships",
    "auth_sessions",
    "connections",
    "agents",
    "blueprint_versions",
    "templates",
    "conversations",
    "messages",
    "runs",
}
TABLES |= {"usage_records", "budgets", "budget_counters", "budget_reservations", "rate_limit_rules", "model_overrides"}


def test_upgrade_downgrade_upgrade(fresh_url: str) -> None:
    cfg = alembic_config(fresh_url)
    command.upgrade(cfg, "heads")
    engine = get_engine(fresh_url)
    assert TABLES <= set(sa.inspect(engine).get_table_names())
    with engine.connect() as conn:
        assert conn.execute(sa.text("SELECT count(*) FROM templates")).scalar_one() >= 6
    command.downgrade(cfg, "base")
    assert not TABLES & set(sa.inspect(engine).get_table_names())
    command.upgrade(cfg, "heads")
    assert TABLES <= set(sa.inspect(engine).get_table_names())
