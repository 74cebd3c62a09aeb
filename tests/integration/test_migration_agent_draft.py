"""The agent-draft migration (0013): the template gallery's sample answers come and go."""

from __future__ import annotations

import sqlalchemy as sa
from alembic import command

from backend.agents.template_catalog import SAMPLE_ANSWERS, TEMPLATES
from backend.db import alembic_config, get_engine


def test_sample_answers_are_added_to_every_template_and_removed_on_downgrade(fresh_url: str) -> None:
    cfg = alembic_config(fresh_url)
    command.upgrade(cfg, "0013_agent_draft")
    engine = get_engine(fresh_url)
    with engine.connect() as conn:
        rows = dict(conn.execute(sa.text("SELECT slug, sample_answer FROM templates")).all())
    assert set(rows) == {t["slug"] for t in TEMPLATES} == set(SAMPLE_ANSWERS)
    assert rows["sql-helper"] == SAMPLE_ANSWERS["sql-helper"] and all(rows.values())
    command.downgrade(cfg, "0012_hold_index")
    engine.dispose()
    assert "sample_answer" not in {c["name"] for c in sa.inspect(engine).get_columns("templates")}
    command.upgrade(cfg, "heads")
