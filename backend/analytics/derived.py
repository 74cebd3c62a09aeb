"""Tables derived from the hourly rollups, rebuilt in the rollup transaction that changed them:
daily and weekly twins (UTC days; 168-hour weeks from the epoch) and the charts' series (one row
per hour per agent and for everyone).

A query over a range of hours reads whole weeks from the weekly twin, whole days of the edges
from the daily twin and only the partial days at its ends hour by hour (:func:`spanned`), so a
90-day table reads ~25 rows per group instead of ~2,160.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import Table, and_, case, delete, func, insert, literal_column, or_, select, union_all
from sqlalchemy.sql import Subquery
from sqlmodel import Session

from backend.models.analytics import (
    ALL_AGENTS,
    DAILY,
    LATENCY_BUCKETS,
    WEEK_HOURS,
    WEEKLY,
    RollupState,
    RunHourly,
    SeriesHourly,
    UsageHourly,
)

USAGE: Table = UsageHourly.__table__  # type: ignore[attr-defined]
RUNS: Table = RunHourly.__table__  # type: ignore[attr-defined]
SERIES: Table = SeriesHourly.__table__  # type: ignore[attr-defined]
SOURCE_OF = {
    "analytics_usage_hourly": "usage",
    "analytics_end_user_hourly": "end_users",
    "analytics_run_hourly": "runs",
    "analytics_tool_hourly": "tools",
    "analytics_series_hourly": "series",
}
"""The rollup (``RollupState.source``) that maintains each hourly table (``series``: derived from
``usage`` and ``runs``, final up to the older of their watermarks, :func:`settle_series`)."""
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


def _rebuild_twin(session: Session, source: Table, twin: Table, span: int, first: int, last: int) -> None:
    """Recompute ``twin``'s rows (spans of ``span`` hours) for hours ``[first, last)`` from ``source``."""
    if last <= first:
        return
    start = _int_div(source.c.hour, span).op("*")(literal_column(str(span)))
    keys = [start if c.name == "hour" else c for c in source.primary_key.columns]
    sums = [func.sum(c) for c in source.columns if not c.primary_key]
    rows = select(*keys, *sums).where(source.c.hour >= first, source.c.hour < last).group_by(*keys)
    session.execute(delete(twin).where(twin.c.hour >= first, twin.c.hour < last))
    names = [c.name for c in source.primary_key.columns] + [c.name for c in source.columns if not c.primary_key]
    session.execute(insert(twin).from_select(names, rows))


def rebuild_daily(session: Session, hourly: Table, watermark: int, settled: int) -> None:
    """Build the daily twin of ``hourly`` for the UTC days that became final when the watermark
    moved from ``watermark`` to ``settled`` (every day ending at or before ``settled``), then the
    weekly twin, from those days, for the weeks that became final."""
    daily = DAILY[hourly.name]
    _rebuild_twin(session, hourly, daily, 24, watermark - watermark % 24, settled - settled % 24)
    week_first, week_last = watermark - watermark % WEEK_HOURS, settled - settled % WEEK_HOURS
    _rebuild_twin(session, daily, WEEKLY[hourly.name], WEEK_HOURS, week_first, week_last)


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


def settle_series(session: Session, now: Any) -> None:
    """Move the series' watermark to the older of the ``usage`` and ``runs`` watermarks and build
    the series' daily and weekly twins of the days and weeks that became final (call in the
    rollup transaction, after either watermark moved)."""
    state = RollupState.__table__  # type: ignore[attr-defined]
    marks = dict(session.execute(select(state.c.source, state.c.watermark_hour)).all())
    settled = min(int(marks.get("usage", 0)), int(marks.get("runs", 0)))
    if "series" not in marks:
        session.execute(insert(state).values(source="series", watermark_hour=0, passes=0, updated_at=now))
    previous = int(marks.get("series", 0))
    if settled > previous:
        rebuild_daily(session, SERIES, previous, settled)
    session.execute(state.update().where(state.c.source == "series").values(watermark_hour=settled, updated_at=now))


def final_days_end(session: Session, hourly: Table) -> int:
    """The hour up to which the daily twin of ``hourly`` is built (a multiple of 24)."""
    return _watermark(session, hourly) // 24 * 24


def _watermark(session: Session, hourly: Table) -> int:
    state = RollupState.__table__  # type: ignore[attr-defined]
    watermark = session.execute(select(state.c.watermark_hour).where(state.c.source == SOURCE_OF[hourly.name])).scalar()
    return int(watermark or 0)


def _pieces(tiers: list[tuple[Table, int, int]], hourly: Table, start: int, end: int) -> list[tuple[Table, int, int]]:
    """``[start, end)`` cut into whole spans of the coarsest tier that is final there, then finer."""
    if start >= end:
        return []
    if not tiers:
        return [(hourly, start, end)]
    (table, span, final_end), finer = tiers[0], tiers[1:]
    first = -(-start // span) * span
    last = min(end - end % span, final_end)
    if first >= last:
        return _pieces(finer, hourly, start, end)
    return [*_pieces(finer, hourly, start, first), (table, first, last), *_pieces(finer, hourly, last, end)]


def _tiers(session: Session, hourly: Table) -> list[tuple[Table, int, int]]:
    watermark = _watermark(session, hourly)
    return [
        (WEEKLY[hourly.name], WEEK_HOURS, watermark // WEEK_HOURS * WEEK_HOURS),
        (DAILY[hourly.name], 24, watermark // 24 * 24),
    ]


def _rows_of(table: Table, workspace_id: str, lo: int, hi: int, agent_id: str | None, *extra: Any) -> Any:
    stmt = select(*extra, *table.columns).where(table.c.workspace_id == workspace_id)
    stmt = stmt.where(table.c.hour >= lo, table.c.hour < hi)
    return stmt.where(table.c.agent_id == agent_id) if agent_id else stmt


def spanned(
    session: Session, hourly: Table, workspace_id: str, start_hour: int, end_hour: int, agent_id: str | None
) -> Subquery:
    """Rows of ``hourly`` covering ``[start_hour, end_hour)`` of one workspace (and agent): whole
    final weeks from its weekly twin, whole final days from its daily twin, the rest hour by hour,
    with ``hourly``'s columns; sum them, never group by ``hour``. ``agent_id`` None: every row
    (including the ``"*"`` rows of the series and end-user tables)."""
    pieces = _pieces(_tiers(session, hourly), hourly, start_hour, end_hour)
    parts = [_rows_of(table, workspace_id, lo, hi, agent_id) for table, lo, hi in pieces]
    if len(parts) == 1:
        return parts[0].subquery()
    return union_all(*parts).subquery()


def _scans(
    tiers: list[tuple[Table, int, int]], hourly: Table, ranges: list[tuple[int, int]]
) -> list[tuple[Table, list[tuple[int, int, int]]]]:
    """The pieces of every range (:func:`_pieces`), consecutive ones of one table joined into one
    scan: ``[(table, [(start, end, range index), ...]), ...]`` in hour order."""
    pieces = sorted(
        ((lo, hi, table, i) for i, (s, e) in enumerate(ranges) for table, lo, hi in _pieces(tiers, hourly, s, e)),
        key=lambda piece: piece[0],
    )
    scans: list[tuple[Table, list[tuple[int, int, int]]]] = []
    for lo, hi, table, i in pieces:
        if scans and scans[-1][0] is table and scans[-1][1][-1][1] == lo:
            scans[-1][1].append((lo, hi, i))
        else:
            scans.append((table, [(lo, hi, i)]))
    return scans


def spanned_buckets(
    session: Session, hourly: Table, workspace_id: str, ranges: list[tuple[int, int]], agent_id: str | None
) -> Subquery:
    """Like :func:`spanned` for several ranges of hours at once, each row labelled ``bucket`` (the
    index of its range in ``ranges``; ranges must not overlap). One SELECT per table (hourly, daily,
    weekly) whose ``CASE`` names the bucket, over its pieces' ranges, so the statement stays small
    whatever the number of buckets."""
    parts = []
    scans = _scans(_tiers(session, hourly), hourly, ranges)
    for table in {id(t): t for t, _ in scans}.values():  # one SELECT per table, its scans OR-ed
        runs = [run for t, run in scans if t is table]
        pieces = [piece for run in runs for piece in run]
        whens: list[tuple[Any, Any]] = [(table.c.hour < hi, literal_column(str(i))) for _, hi, i in pieces]
        bucket = case(*whens).label("bucket") if len(pieces) > 1 else literal_column(str(pieces[0][2])).label("bucket")
        stmt = _rows_of(table, workspace_id, runs[0][0][0], runs[-1][-1][1], agent_id, bucket)
        if len(runs) > 1:
            stmt = stmt.where(or_(*[and_(table.c.hour >= run[0][0], table.c.hour < run[-1][1]) for run in runs]))
        parts.append(stmt)
    if not parts:
        empty = _rows_of(hourly, workspace_id, 0, 0, agent_id, literal_column("0").label("bucket"))
        return empty.subquery()
    return parts[0].subquery() if len(parts) == 1 else union_all(*parts).subquery()
