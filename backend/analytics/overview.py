"""The analytics page's charts and totals: figures per time bucket, totals against the previous
period, and errors by class."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from sqlalchemy import func, select
from sqlmodel import Session

from backend.accounts import permissions
from backend.accounts.actor import Actor
from backend.analytics.derived import USAGE, spanned
from backend.analytics.measures import Runs, Usage, bucket_sums
from backend.analytics.periods import Period, buckets
from backend.analytics.tables import Cell, Table, change, percent, usd, usd_float

SERIES_COLUMNS = (
    "period",
    "runs",
    "succeeded",
    "failed",
    "cancelled",
    "success_rate_pct",
    "calls",
    "call_errors",
    "prompt_tokens",
    "completion_tokens",
    "cost_usd",
    "latency_p50_ms",
    "latency_p95_ms",
    "ttft_p50_ms",
    "ttft_p95_ms",
)


@dataclass(frozen=True)
class Total:
    """One headline figure: its value now and in the previous period, as shown (text), and the
    change in percent (None when the previous period had nothing to compare with)."""

    key: str
    label: str
    value: str
    previous: str
    change_pct: float | None


@dataclass(frozen=True)
class Overview:
    """Charts' data (``series``, one row per bucket), headline ``totals`` and ``errors`` by class."""

    series: Table
    totals: tuple[Total, ...]
    errors: Table
    empty: bool


def _charts(
    session: Session, workspace_id: str, period: Period, agent_id: str | None
) -> tuple[list[tuple[Cell, ...]], tuple[Usage, Runs], tuple[Usage, Runs]]:
    """Chart rows per bucket, the period's sums and the previous period's, in one query."""
    points = buckets(period)
    before = period.previous()
    ranges = [(b.start_hour, b.end_hour) for b in points] + [(before.start_hour, before.end_hour)]
    sums = bucket_sums(session, workspace_id, ranges, agent_id)
    empty = (Usage(), Runs())
    now = (Usage(), Runs())
    for i in range(len(points)):
        usage, runs = sums.get(i, empty)
        now[0].add(usage)
        now[1].add(runs)
    rows = [_row(b.label, *sums.get(i, empty)) for i, b in enumerate(points)]
    return rows, now, sums.get(len(points), empty)


def _row(label: str, u: Usage, r: Runs) -> tuple[Cell, ...]:
    return (
        label,
        r.runs,
        r.succeeded,
        r.failed,
        r.cancelled,
        percent(r.succeeded, r.runs),
        u.calls,
        u.errors,
        u.prompt_tokens,
        u.completion_tokens,
        usd_float(u.cost_nano_usd),
        u.latency(0.5),
        u.latency(0.95),
        u.time_to_first_token(0.5),
        u.time_to_first_token(0.95),
    )


def _ms(value: int | None) -> str:
    return "" if value is None else f"{value} ms"


_FIGURES: tuple[tuple[str, str, Callable[[Usage, Runs], int | None], Callable[[Any], str]], ...] = (
    ("runs", "Runs", lambda u, r: r.runs, str),
    ("errors", "Failed calls", lambda u, r: u.errors, str),
    ("prompt_tokens", "Prompt tokens", lambda u, r: u.prompt_tokens, str),
    ("completion_tokens", "Completion tokens", lambda u, r: u.completion_tokens, str),
    ("cost", "Cost (USD)", lambda u, r: u.cost_nano_usd, usd),
    ("latency_p50", "Latency p50", lambda u, r: u.latency(0.5), _ms),
    ("latency_p95", "Latency p95", lambda u, r: u.latency(0.95), _ms),
    ("ttft_p50", "Time to first token p50", lambda u, r: u.time_to_first_token(0.5), _ms),
    ("ttft_p95", "Time to first token p95", lambda u, r: u.time_to_first_token(0.95), _ms),
)
"""Headline figures: key, label, value of a period's sums, how it is shown."""


def _rate(value: float | None) -> str:
    return "" if value is None else f"{value}%"


def _totals(now: tuple[Usage, Runs], before: tuple[Usage, Runs]) -> tuple[Total, ...]:
    out = []
    for key, label, value_of, show in _FIGURES:
        current, previous = value_of(*now), value_of(*before)
        out.append(Total(key, label, show(current), show(previous), change(current or 0, previous or 0)))
    rate, prate = percent(now[1].succeeded, now[1].runs), percent(before[1].succeeded, before[1].runs)
    points = None if rate is None or prate is None else round(rate - prate, 1)  # a rate changes by points
    out.insert(1, Total("success_rate", "Success rate", _rate(rate), _rate(prate), points))
    return tuple(out)


def _errors(session: Session, workspace_id: str, period: Period, agent_id: str | None) -> Table:
    u = spanned(session, USAGE, workspace_id, period.start_hour, period.end_hour, agent_id)
    calls = func.sum(u.c.calls)
    stmt = (
        select(u.c.status, u.c.error_class, calls)
        .where(u.c.status != "ok")
        .group_by(u.c.status, u.c.error_class)
        .order_by(calls.desc(), u.c.status, u.c.error_class)
    )
    rows = session.execute(stmt).all()
    total = sum(int(r[2]) for r in rows)
    cells = tuple((str(s), str(e) or "(none)", int(n), percent(int(n), total)) for s, e, n in rows)
    return Table("errors", "Errors by class", ("status", "error_class", "calls", "share_pct"), cells)


def overview(*, actor: Actor, period: Period, agent_id: str | None = None, session: Session) -> Overview:
    """Charts' data, totals with the change against the previous period, and errors by class.

    Args:
        actor: Any member of the workspace.
        period: Range and buckets (``backend.analytics.periods``).
        agent_id: Only this agent's figures, if given.
        session: Open session.

    Returns:
        An :class:`Overview`; ``series`` has :data:`SERIES_COLUMNS` (cost in USD, latencies in
        ms, estimated from histograms), one row per bucket, empty buckets as zeros.

    Raises:
        PermissionDenied: the actor is not a member of the workspace, or a viewer (``analytics.view``).
    """
    permissions.require(actor, permissions.ANALYTICS_VIEW, session)
    ws = actor.workspace_id
    rows, now, before = _charts(session, ws, period, agent_id)
    chart = Table("over_time", "Over time", SERIES_COLUMNS, tuple(rows))
    empty = now[0].calls == 0 and now[1].runs == 0
    return Overview(chart, _totals(now, before), _errors(session, ws, period, agent_id), empty)
