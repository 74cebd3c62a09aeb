"""The citation-labels migration (0007): the column comes and goes."""

from __future__ import annotations

import sqlalchemy as sa
from alembic import command

from backend.db import alembic_config, get_engine


def test_citation_labels_upgrade_and_downgrade(fresh_url: str) -> None:
    cfg = alembic_config(fresh_url)
    command.upgrade(cfg, "heads")
    engine = get_engine(fresh_url)
    assert "label" in {c["name"] for c in sa.inspect(engine).get_columns("message_citations")}
    command.downgrade(cfg, "0006_run_steps")
    assert "label" not in {c["name"] for c in sa.inspect(engine).get_columns("message_citations")}
    command.upgrade(cfg, "heads")
    assert "label" in {c["name"] for c in sa.inspect(engine).get_columns("message_citations")}
