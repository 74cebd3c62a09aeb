"""Migrations apply, roll back and re-apply on a brand-new database of the active profile."""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest
import sqlalchemy as sa
from alembic import command

from backend.config import Settings
from backend.db import alembic_config, get_engine

TABLES = {"users", "workspaces", "memberships", "auth_sessions", "connections", "agents", "blueprint_versions",
          "templates", "conversations", "messages", "runs"}
TABLES |= {"usage_records", "budgets", "budget_counters", "budget_reservations", "rate_limit_rules", "model_overrides"}


@pytest.fixture
def fresh_url(tmp_path: Path) -> Iterator[str]:
    """A new empty database: a SQLite file, or a new PostgreSQL database when DATABASE_URL is set."""
    url = os.environ.get("DATABASE_URL", "")
    if not url.startswith("postgres"):
        yield f"sqlite:///{tmp_path / 'fresh.db'}"
        return
    base = Settings(database_url=url).resolved_database_url
    name = f"agenthub_mig_{uuid.uuid4().hex[:8]}"
    admin = sa.create_engine(base, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(sa.text(f'CREATE DATABASE "{name}"'))
    try:
        yield base.rsplit("/", 1)[0] + "/" + name
    finally:
        get_engine(base.rsplit("/", 1)[0] + "/" + name).dispose()
        with admin.connect() as conn:
            conn.execute(sa.text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()


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
