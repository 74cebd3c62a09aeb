"""Tables derived from the hourly rollups, rebuilt in the rollup transaction that changed them:
daily twins (UTC days) and the charts' series (one row per hour per agent and for everyone).

A query over a range of hours reads whole UTC days from a twin and only the partial days at its
edges hour by hour (:func:`spanned`), so a 90-day table reads ~90 rows per group instead of ~2,160.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import Table, case, delete, func, insert, literal_column, select, union_all
from sqlalchemy.sql import Subquery
from sqlmodel import Session

from backend.models.analytics import DAILY, LATENCY_BUCKETS, RollupState, RunHourly, SeriesHourly, UsageHourly

USAGE: Table = UsageHourly.__table__  # type: ignore[attr-defined]
RUNS: Table = RunHourly.__table__  # type: ignore[attr-defined]
SERIES: Table = SeriesHourly.__table__  # type: ignore[attr-defined]
SOURCE_OF = {
    "analytics_usage_hourly": "usage",
    "analytics_end_user_hourly": "end_users",
    "analytics_run_hourly": "runs",
    "analytics_tool_hourly": "tools",
}
"""The rollup (``RollupState.source``) that maintains each hourly table."""
ALL_AGENTS = "*"
"""``SeriesHourly.agent_id`` of the whole workspace's rows."""
_ZERO: Any = literal_column("0")
_USAGE_SUMS: tuple[str, ...] = (
    "prompt_tokens",
    "completion_tokens",
    "cached_tokens",
    "cost_nano_usd",
    "latency_ms_sum",
)
_USAGE_SUMS += ("ttft_calls", "ttft_ms_sum", *[f"{k}_{i}" for i in range(LATENCY_BUCKETS) for k in ("lat", "ttft")])


def _int_div(value: Any, by: int) -> Any:
    return value.op("/")(literal_column(str(by)))


def rebuild_daily(session: Session, hourly: Table, watermark: int, settled: int) -> None:
    """Build the daily twin of ``hourly`` for the UTC days that became final when the watermark
    moved from ``watermark`` to ``settled`` (every day ending at or before ``settled``)."""
    daily = DAILY[hourly.name]
    first, last = watermark - watermark % 24, settled - settled % 24
    if last <= first:
        return
    day = _int_div(hourly.c.hour, 24).op("*")(literal_column("24"))
    keys = [day if c.name == "hour" else c for c in hourly.primary_key.columns]
    sums = [func.sum(c) for c in hourly.columns if not c.primary_key]
    rows = select(*keys, *sums).where(hourly.c.hour >= first, hourly.c.hour < last).group_by(*keys)
    session.execute(delete(daily).where(daily.c.hour >= first, daily.c.hour < last))
    names = [c.name for c in hourly.primary_key.columns] + [c.name for c in hourly.columns if not c.primary_key]
    session.execute(insert(daily).from_select(names, rows))


def _calls_if(status: str) -> Any:
    return case((USAGE.c.status == status, USAGE.c.calls), else_=0)


def _runs_if(status: str) -> Any:
    return case((RUNS.c.status == status, RUNS.c.runs), else_=0)


def _series_parts(start_hour: int, end_hour: int) -> Subquery:
    usage: dict[str, Any] = {"calls": USAGE.c.calls, "ok": _calls_if("ok"), "cancelled": _calls_if("cancelled")}
    usage |= {"rejected": _calls_if("rejected"), **{n: USAGE.c[n] for n in _USAGE_SUMS}}
    runs: dict[str, Any] = {"runs": RUNS.c.runs, "succeeded": _runs_if("succeeded"), "failed": _runs_if("failed")}
    runs |= {"runs_cancelled": _runs_if("cancelled"), "run_cost_nano_usd": RUNS.c.cost_nano_usd}
    measures = [c.name for c in SERIES.columns if not c.primary_key]
    parts = []
    for table, values in ((USAGE, usage), (RUNS, runs)):
        cols = [table.c.workspace_id, table.c.agent_id, table.c.hour]
        cols += [values.get(name, _ZERO).label(name) for name in measures]
        parts.append(select(*cols).where(table.c.hour >= start_hour, table.c.hour < end_hour))
    return union_all(*parts).subquery()


def rebuild_series(session: Session, start_hour: int, end_hour: int) -> None:
    """Recompute :class:`SeriesHourly` for hours ``[start_hour, end_hour)`` from the usage and run
    rollups: one row per workspace, agent and hour, and one per workspace and hour (``"*"``)."""
    both = _series_parts(start_hour, end_hour)
    measures = [c.name for c in SERIES.columns if not c.primary_key]
    sums = [func.sum(both.c[name]) for name in measures]
    names = ["workspace_id", "agent_id", "hour", *measures]
    session.execute(delete(SERIES).where(SERIES.c.hour >= start_hour, SERIES.c.hour < end_hour))
    per_agent = select(both.c.workspace_id, both.c.agent_id, both.c.hour, *sums)
    session.execute(
        insert(SERIES).from_select(names, per_agent.group_by(both.c.workspace_id, both.c.agent_id, both.c.hour))
    )
    everyone = select(both.c.workspace_id, literal_column(f"'{ALL_AGENTS}'"), both.c.hour, *sums)
    session.execute(insert(SERIES).from_select(names, everyone.group_by(both.c.workspace_id, both.c.hour)))


def final_days_end(session: Session, hourly: Table) -> int:
    """The hour up to which the daily twin of ``hourly`` is built (a multiple of 24)."""
    state = RollupState.__table__  # type: ignore[attr-defined]
    watermark = session.execute(select(state.c.watermark_hour).where(state.c.source == SOURCE_OF[hourly.name])).scalar()
    return int(watermark or 0) // 24 * 24


def spanned(
    session: Session, hourly: Table, workspace_id: str, start_hour: int, end_hour: int, agent_id: str | None
) -> Subquery:
    """Rows of ``hourly`` (whole final days from its daily twin) covering ``[start_hour, end_hour)``
    of one workspace (and agent), with ``hourly``'s columns; sum them, never group by ``hour``."""
    daily = DAILY[hourly.name]
    first = -(-start_hour // 24) * 24
    last = min(end_hour - end_hour % 24, final_days_end(session, hourly))

    def part(table: Table, lo: int, hi: int) -> Any:
        stmt = select(*table.columns).where(table.c.workspace_id == workspace_id, table.c.hour >= lo, table.c.hour < hi)
        return stmt.where(table.c.agent_id == agent_id) if agent_id else stmt

    if first >= last:
        return part(hourly, start_hour, end_hour).subquery()
    parts = [part(daily, first, last)]
    if start_hour < first:
        parts.append(part(hourly, start_hour, first))
    if last < end_hour:
        parts.append(part(hourly, last, end_hour))
    return union_all(*parts).subquery()
