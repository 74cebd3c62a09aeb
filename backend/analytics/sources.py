"""What each rollup sums: one ``INSERT ... SELECT ... GROUP BY`` per rollup table over a time window.

Each :class:`Source` turns raw rows created (or, for runs, finished) in ``[start, end)`` into the
rows of its rollup table, entirely in SQL (SQLite and PostgreSQL). ``hour`` is whole hours since
the Unix epoch in UTC (:func:`hour_expr`).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import BigInteger, Integer, Table, and_, case, cast, func, literal_column, select, union_all
from sqlalchemy.sql import ColumnElement, CompoundSelect, Select

from backend.analytics.indexed import runs_via
from backend.models.analytics import (
    ALL_AGENTS,
    LATENCY_EDGES_MS,
    RUNS_FINISHED_INDEX,
    EndUserHourly,
    RunHourly,
    ToolHourly,
    UsageHourly,
)
from backend.models.chat import Run
from backend.models.gateway import UsageRecord
from backend.models.tools import ToolAudit

EMPTY: ColumnElement[str] = literal_column("''")
"""The ``""`` of a NULL dimension, as a literal so GROUP BY matches the selected expression."""

FINAL_RUN_STATUSES = ("succeeded", "failed", "cancelled")


def hour_expr(column: Any, dialect: str) -> ColumnElement[int]:
    """Whole hours since 1970-01-01 00:00 UTC of a ``UTCDateTime`` column, in SQL."""
    if dialect == "postgresql":
        return cast(func.floor(func.extract("epoch", column) / literal_column("3600")), BigInteger)
    return cast(func.strftime("%s", column), Integer).op("/")(literal_column("3600"))


def _t(model: Any) -> Table:
    return model.__table__  # type: ignore[no-any-return]


def _count_if(condition: ColumnElement[bool]) -> ColumnElement[int]:
    return func.coalesce(func.sum(case((condition, 1), else_=0)), 0)


def histogram(value: Any) -> list[ColumnElement[int]]:
    """Call counts per bucket of :data:`LATENCY_EDGES_MS` (NULL values fall in no bucket)."""
    columns: list[ColumnElement[int]] = []
    lower: int | None = None
    for edge in (*LATENCY_EDGES_MS, None):
        parts = []
        if lower is not None:
            parts.append(value >= lower)
        if edge is not None:
            parts.append(value < edge)
        columns.append(_count_if(and_(*parts)))
        lower = edge
    return columns


def _sum(column: Any) -> ColumnElement[int]:
    return func.coalesce(func.sum(column), 0)


def _usage(start: datetime, end: datetime, dialect: str) -> Select[Any]:
    u = _t(UsageRecord).c
    keys = [
        u.workspace_id,
        hour_expr(u.created_at, dialect),
        func.coalesce(u.agent_id, EMPTY),
        func.coalesce(u.connection_id, EMPTY),
        u.provider,
        u.model,
        u.status,
        u.error_class,
    ]
    lat, ttft = histogram(u.latency_ms), histogram(u.ttft_ms)
    hist = [col for pair in zip(lat, ttft, strict=True) for col in pair]  # lat_0, ttft_0, lat_1, ...
    measures = [
        func.count(),
        _sum(u.prompt_tokens),
        _sum(u.completion_tokens),
        _sum(u.cached_tokens),
        _sum(u.cost_nano_usd),
        _sum(u.latency_ms),
        _count_if(u.ttft_ms.is_not(None)),
        _sum(u.ttft_ms),
        *hist,
    ]
    return select(*keys, *measures).where(u.created_at >= start, u.created_at < end).group_by(*keys)


def _end_users(start: datetime, end: datetime, dialect: str) -> CompoundSelect:
    """Per agent and end user, and per end user for all agents (``agent_id = "*"``)."""
    u = _t(UsageRecord).c
    measures = [
        func.count(),
        _count_if(u.status != "ok"),
        _sum(u.prompt_tokens),
        _sum(u.completion_tokens),
        _sum(u.cost_nano_usd),
    ]
    hour, user, agent = (
        hour_expr(u.created_at, dialect),
        func.coalesce(u.end_user_id, EMPTY),
        func.coalesce(u.agent_id, EMPTY),
    )
    rows = select(u.workspace_id, hour, agent, user, *measures).group_by(u.workspace_id, hour, agent, user)
    everyone = select(u.workspace_id, hour, literal_column(f"'{ALL_AGENTS}'"), user, *measures)
    everyone = everyone.group_by(u.workspace_id, hour, user)  # a constant is no GROUP BY key on PostgreSQL
    window = (u.created_at >= start, u.created_at < end)
    return union_all(rows.where(*window), everyone.where(*window))


def _runs(start: datetime, end: datetime, dialect: str) -> Select[Any]:
    r = runs_via(RUNS_FINISHED_INDEX).c  # the hour's range, not every finished run by status
    keys = [r.workspace_id, hour_expr(r.finished_at, dialect), r.agent_id, r.model, r.provider, r.status]
    measures = [
        func.count(),
        _sum(r.prompt_tokens),
        _sum(r.completion_tokens),
        _sum(r.cost_nano_usd),
        _sum(r.latency_ms),
    ]
    return (
        select(*keys, *measures)
        .where(r.finished_at >= start, r.finished_at < end, r.status.in_(FINAL_RUN_STATUSES))
        .group_by(*keys)
    )


def _tools(start: datetime, end: datetime, dialect: str) -> Select[Any]:
    t = _t(ToolAudit).c
    keys = [t.workspace_id, hour_expr(t.created_at, dialect), t.agent_id, t.tool_name, t.status]
    return (
        select(*keys, func.count(), _sum(t.duration_ms))
        .where(t.created_at >= start, t.created_at < end)
        .group_by(*keys)
    )


@dataclass(frozen=True)
class Source:
    """One rollup: its table, the raw rows' time column and the aggregating SELECT.

    ``build(start, end, dialect)`` selects the rollup rows of raw rows whose ``time_column``
    is in ``[start, end)``, columns in the order of ``target``'s columns; ``feeds_series``: the
    charts' series table derives from ``target``.
    """

    name: str
    target: Table
    time_column: Any
    build: Callable[[datetime, datetime, str], Select[Any] | CompoundSelect]
    feeds_series: bool = False


SOURCES: tuple[Source, ...] = (
    Source("usage", _t(UsageHourly), _t(UsageRecord).c.created_at, _usage, feeds_series=True),
    Source("end_users", _t(EndUserHourly), _t(UsageRecord).c.created_at, _end_users),
    Source("runs", _t(RunHourly), _t(Run).c.finished_at, _runs, feeds_series=True),
    Source("tools", _t(ToolHourly), _t(ToolAudit).c.created_at, _tools),
)
"""Every rollup, in the order a pass brings them up to date."""
