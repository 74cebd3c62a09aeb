"""Migration 0024: the series' daily and weekly twins filled for final days and weeks (final: the
older of the usage and runs watermarks), and all-agents rows added to the end-user rollup."""

from __future__ import annotations

import sqlalchemy as sa
from alembic import command

from backend.db import alembic_config, get_engine

SERIES_HOUR = (
    "INSERT INTO analytics_series_hourly (workspace_id, agent_id, hour, {cols}) VALUES ('w1', :agent, :hour, {vals})"
)
END_USER_DAY = (
    "INSERT INTO analytics_end_user_daily (workspace_id, hour, agent_id, end_user_id, calls, errors, prompt_tokens,"
    " completion_tokens, cost_nano_usd) VALUES ('w1', 0, :agent, :user, :calls, 1, 2, 3, :cost)"
)
MEASURES = (
    "calls ok cancelled rejected prompt_tokens completion_tokens cached_tokens cost_nano_usd latency_ms_sum ttft_calls"
    " ttft_ms_sum runs succeeded failed runs_cancelled run_cost_nano_usd"
).split() + [f"{k}_{i}" for i in range(17) for k in ("lat", "ttft")]


def _series_row(conn: sa.Connection, agent: str, hour: int, calls: int) -> None:
    values = ", ".join(":calls" if m in ("calls", "lat_2") else "0" for m in MEASURES)
    conn.execute(
        sa.text(SERIES_HOUR.format(cols=", ".join(MEASURES), vals=values)),
        {"agent": agent, "hour": hour, "calls": calls},
    )


def test_series_twins_and_all_agent_end_user_rows(fresh_url: str) -> None:
    cfg = alembic_config(fresh_url)
    command.upgrade(cfg, "0023_identities")
    engine = get_engine(fresh_url)
    with engine.begin() as conn:
        for agent, hour, calls in (
            ("a1", 1, 1),
            ("a1", 30, 2),
            ("*", 1, 1),
            ("*", 30, 2),
            ("a1", 170, 4),
            ("a1", 200, 8),
        ):
            _series_row(conn, agent, hour, calls)
        conn.execute(sa.text("UPDATE analytics_rollup_state SET watermark_hour = 250 WHERE source = 'usage'"))
        conn.execute(sa.text("UPDATE analytics_rollup_state SET watermark_hour = 190 WHERE source = 'runs'"))
        for agent, user, calls, cost in (("a1", "u1", 1, 10), ("a2", "u1", 2, 20), ("a2", "u2", 4, 40)):
            conn.execute(sa.text(END_USER_DAY), {"agent": agent, "user": user, "calls": calls, "cost": cost})
    command.upgrade(cfg, "0024_ana2")
    engine.dispose()
    with engine.connect() as conn:
        daily = conn.execute(
            sa.text("SELECT agent_id, hour, calls, lat_2 FROM analytics_series_daily ORDER BY 1, 2")
        ).all()
        weekly = conn.execute(sa.text("SELECT agent_id, hour, calls FROM analytics_series_weekly ORDER BY 1, 2")).all()
        series = conn.execute(sa.text("SELECT watermark_hour FROM analytics_rollup_state WHERE source = 'series'"))
        everyone = conn.execute(
            sa.text("SELECT end_user_id, calls, errors, cost_nano_usd FROM analytics_end_user_daily"
                    " WHERE agent_id = '*' ORDER BY 1")
        ).all()  # fmt: skip
    # final up to hour 190 (the runs watermark): days before hour 168 (day 168-191 is not), week 0
    assert [tuple(r) for r in daily] == [("*", 0, 1, 1), ("*", 24, 2, 2), ("a1", 0, 1, 1), ("a1", 24, 2, 2)]
    assert [tuple(r) for r in weekly] == [("*", 0, 3), ("a1", 0, 3)]
    assert series.scalar_one() == 190
    assert [tuple(r) for r in everyone] == [("u1", 3, 2, 30), ("u2", 4, 1, 40)]
    command.downgrade(cfg, "0023_identities")
    engine.dispose()
    inspector = sa.inspect(engine)
    assert "analytics_series_daily" not in inspector.get_table_names()
    with engine.connect() as conn:
        assert conn.execute(sa.text("SELECT count(*) FROM analytics_end_user_daily WHERE agent_id = '*'")).scalar() == 0
    command.upgrade(cfg, "heads")
