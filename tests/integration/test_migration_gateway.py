"""The gateway migration (0003_gateway) on a database that already holds agents and runs."""

from __future__ import annotations

import json

import sqlalchemy as sa
from alembic import command

from backend.db import alembic_config, get_engine
from tests.support.migration_rows import ROWS


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
