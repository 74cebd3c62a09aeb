"""The weekly-rollup migration (0022): weekly twins filled from the daily ones for final weeks only."""

from __future__ import annotations

import sqlalchemy as sa
from alembic import command
from alembic.script import ScriptDirectory

from backend.db import alembic_config, get_engine

DAY = (
    "INSERT INTO analytics_end_user_daily (workspace_id, hour, agent_id, end_user_id, calls, errors, prompt_tokens,"
    " completion_tokens, cost_nano_usd) VALUES ('w1', :hour, 'a1', 'u1', :calls, 0, 1, 1, 10)"
)


def test_weekly_twins_are_filled_from_final_days_and_go_away(fresh_url: str) -> None:
    cfg = alembic_config(fresh_url)
    before = ScriptDirectory.from_config(cfg).get_revision("0022_rollup_weekly").down_revision
    assert isinstance(before, str)
    command.upgrade(cfg, before)
    engine = get_engine(fresh_url)
    with engine.begin() as conn:
        # days of week 0 (hours 0-167) and of week 1 (168-335); the watermark is inside week 1
        conn.execute(
            sa.text(DAY), [{"hour": h, "calls": c} for h, c in ((0, 1), (24, 2), (144, 4), (168, 8), (192, 16))]
        )
        conn.execute(sa.text("UPDATE analytics_rollup_state SET watermark_hour = 200 WHERE source = 'end_users'"))
    command.upgrade(cfg, "0022_rollup_weekly")
    engine.dispose()
    with engine.connect() as conn:
        rows = conn.execute(sa.text("SELECT hour, calls, cost_nano_usd FROM analytics_end_user_weekly")).all()
    assert [tuple(r) for r in rows] == [(0, 7, 30)]  # week 1 is not final yet: its days stay daily
    command.downgrade(cfg, before)
    engine.dispose()
    assert "analytics_end_user_weekly" not in sa.inspect(engine).get_table_names()
    command.upgrade(cfg, "heads")
