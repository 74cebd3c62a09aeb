"""The API-keys migration (0020): the table comes and goes, and takes a key row."""

from __future__ import annotations

import sqlalchemy as sa
from alembic import command

from backend.db import alembic_config, get_engine


def test_api_keys_upgrade_and_downgrade(fresh_url: str) -> None:
    cfg = alembic_config(fresh_url)
    command.upgrade(cfg, "heads")
    engine = get_engine(fresh_url)
    inspector = sa.inspect(engine)
    assert "api_keys" in inspector.get_table_names()
    assert {i["name"] for i in inspector.get_indexes("api_keys")} >= {
        "ix_api_keys_key_hash",
        "ix_api_keys_workspace_id",
    }
    command.downgrade(cfg, "0016_usage_rollup")
    engine.dispose()
    assert "api_keys" not in sa.inspect(engine).get_table_names()
    command.upgrade(cfg, "heads")
    engine.dispose()
    assert "api_keys" in sa.inspect(engine).get_table_names()
