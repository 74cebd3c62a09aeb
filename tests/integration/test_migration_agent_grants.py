"""The agent-grants migration (0011): the grants table and usage records' caller columns come and go."""

from __future__ import annotations

import sqlalchemy as sa
from alembic import command

from backend.db import alembic_config, get_engine


def _columns(engine: sa.Engine, table: str) -> set[str]:
    return {c["name"] for c in sa.inspect(engine).get_columns(table)}


def test_agent_grants_upgrade_and_downgrade(fresh_url: str) -> None:
    cfg = alembic_config(fresh_url)
    command.upgrade(cfg, "heads")
    engine = get_engine(fresh_url)
    assert "agent_grants" in sa.inspect(engine).get_table_names()
    assert {"caller_kind", "caller_id"} <= _columns(engine, "usage_records")
    command.downgrade(cfg, "0010_money_nano")
    engine.dispose()
    assert "agent_grants" not in sa.inspect(engine).get_table_names()
    assert not {"caller_kind", "caller_id"} & _columns(engine, "usage_records")
    command.upgrade(cfg, "heads")
    engine.dispose()
    assert {"caller_kind", "caller_id"} <= _columns(engine, "usage_records")
