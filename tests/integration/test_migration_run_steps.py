"""The run-steps migration (0006_run_steps, merging 0003/0004/0005): up, down to the three heads, up."""

from __future__ import annotations

import sqlalchemy as sa
from alembic import command
from alembic.script import ScriptDirectory

from backend.db import alembic_config, get_engine


def test_run_steps_merges_the_heads_and_rolls_back(fresh_url: str) -> None:
    cfg = alembic_config(fresh_url)
    assert len(ScriptDirectory.from_config(cfg).get_heads()) == 1, "one line of migrations"
    command.upgrade(cfg, "heads")
    engine = get_engine(fresh_url)
    inspector = sa.inspect(engine)
    assert "run_steps" in inspector.get_table_names()
    assert "resume_state" in {c["name"] for c in inspector.get_columns("runs")}
    assert "delegates" in {c["name"] for c in inspector.get_columns("blueprint_versions")}
    command.downgrade(cfg, "0005_tools")  # unapplies only 0006 (0003 and 0004 are not its descendants)
    inspector = sa.inspect(engine)
    assert "run_steps" not in inspector.get_table_names()
    assert "resume_state" not in {c["name"] for c in inspector.get_columns("runs")}
    assert "delegates" not in {c["name"] for c in inspector.get_columns("blueprint_versions")}
    assert {"tool_audit", "usage_records", "knowledge_sources"} <= set(inspector.get_table_names())
    command.upgrade(cfg, "heads")
    assert "run_steps" in sa.inspect(engine).get_table_names()
