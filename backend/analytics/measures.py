"""Shared SQL over the rollups: sums per group within a workspace and a range of UTC hours.

Each query returns one small row per group (an hour, an agent, a model, ...), never raw rows;
ranges read whole days from the daily twins (``backend.analytics.derived.spanned``).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import case, func, select
from sqlmodel import Session

from backend.analytics import percentiles
from backend.analytics.derived import ALL_AGENTS, RUNS, SERIES, USAGE, spanned, spanned_buckets
from backend.models.analytics import LATENCY_BUCKETS


@dataclass
class Usage:
    """Summed gateway calls of one group (tokens; ``cost_nano_usd`` nano-USD; ms)."""

    calls: int = 0
    ok: int = 0
    cancelled: int = 0
    rejected: int = 0
    prompt_tokens: int = 0
    completion_tokens: int = 0
    cached_tokens: int = 0
    cost_nano_usd: int = 0
    latency_ms_sum: int = 0
    lat: list[int] = field(default_factory=lambda: [0] * LATENCY_BUCKETS)
    ttft: list[int] = field(default_factory=lambda: [0] * LATENCY_BUCKETS)

    @property
    def errors(self) -> int:
        """Calls that failed (status ``error``)."""
        return self.calls - self.ok - self.cancelled - self.rejected

    def add(self, other: Usage) -> None:
        """Add ``other``'s sums to these."""
        for name in ("calls", "ok", "cancelled", "rejected", "prompt_tokens", "completion_tokens"):
            setattr(self, name, getattr(self, name) + getattr(other, name))
        self.cached_tokens += other.cached_tokens
        self.cost_nano_usd += other.cost_nano_usd
        self.latency_ms_sum += other.latency_ms_sum
        self.lat = [a + b for a, b in zip(self.lat, other.lat, strict=True)]
        self.ttft = [a + b for a, b in zip(self.ttft, other.ttft, strict=True)]

    def latency(self, fraction: float) -> int | None:
        """Estimated latency percentile in ms (:func:`percentiles.estimate`), None without calls."""
        return percentiles.estimate(self.lat, fraction)

    def time_to_first_token(self, fraction: float) -> int | None:
        """Estimated time-to-first-token percentile in ms, None without a first token."""
        return percentiles.estimate(self.ttft, fraction)


@dataclass
class Runs:
    """Summed finished runs of one group (cost nano-USD)."""

    runs: int = 0
    succeeded: int = 0
    failed: int = 0
    cancelled: int = 0
    cost_nano_usd: int = 0

    def add(self, other: Runs) -> None:
        """Add ``other``'s sums to these."""
        self.runs += other.runs
        self.succeeded += other.succeeded
        self.failed += other.failed
        self.cancelled += other.cancelled
        self.cost_nano_usd += other.cost_nano_usd


def _calls_if(table: Any, column: str, status: str) -> Any:
    return func.coalesce(func.sum(case((table.c.status == status, table.c[column]), else_=0)), 0)


def _total(table: Any, name: str) -> Any:
    return func.coalesce(func.sum(table.c[name]), 0)


def _hist(table: Any) -> list[Any]:
    return [_total(table, f"{kind}_{i}") for kind in ("lat", "ttft") for i in range(LATENCY_BUCKETS)]


def _usage(v: list[int]) -> Usage:
    """A :class:`Usage` from calls, prompt, completion, cached, cost, latency sum, ok, cancelled,
    rejected, then the two histograms."""
    return Usage(
        calls=v[0],
        prompt_tokens=v[1],
        completion_tokens=v[2],
        cached_tokens=v[3],
        cost_nano_usd=v[4],
        latency_ms_sum=v[5],
        ok=v[6],
        cancelled=v[7],
        rejected=v[8],
        lat=v[9 : 9 + LATENCY_BUCKETS],
        ttft=v[9 + LATENCY_BUCKETS : 9 + 2 * LATENCY_BUCKETS],
    )


_SUMS = ("calls", "prompt_tokens", "completion_tokens", "cached_tokens", "cost_nano_usd", "latency_ms_sum")


def usage_by(
    session: Session, workspace_id: str, start_hour: int, end_hour: int, agent_id: str | None, keys: Sequence[str]
) -> dict[tuple[Any, ...], Usage]:
    """Gateway calls summed per distinct value of the rollup columns ``keys`` (e.g. ``["agent_id"]``,
    ``["provider", "model"]``; not ``hour``: see :func:`series`), for hours
    ``[start_hour, end_hour)``, optionally one agent's."""
    u = spanned(session, USAGE, workspace_id, start_hour, end_hour, agent_id)
    group = [u.c[k] for k in keys]
    statuses = [_calls_if(u, "calls", s) for s in ("ok", "cancelled", "rejected")]
    stmt = select(*group, *[_total(u, n) for n in _SUMS], *statuses, *_hist(u))
    n = len(keys)
    return {tuple(row[:n]): _usage([int(x) for x in row[n:]]) for row in session.execute(stmt.group_by(*group)).all()}


def runs_by(
    session: Session, workspace_id: str, start_hour: int, end_hour: int, agent_id: str | None, keys: Sequence[str]
) -> dict[tuple[Any, ...], Runs]:
    """Finished runs summed per distinct value of the run-rollup columns ``keys`` (not ``hour``)."""
    r = spanned(session, RUNS, workspace_id, start_hour, end_hour, agent_id)
    group = [r.c[k] for k in keys]
    statuses = [_calls_if(r, "runs", s) for s in ("succeeded", "failed", "cancelled")]
    stmt = select(*group, _total(r, "runs"), *statuses, _total(r, "cost_nano_usd"))
    n = len(keys)
    return {tuple(row[:n]): Runs(*[int(x) for x in row[n:]]) for row in session.execute(stmt.group_by(*group)).all()}


_SERIES_USAGE = (*_SUMS, "ok", "cancelled", "rejected")
_SERIES_RUNS = ("runs", "succeeded", "failed", "runs_cancelled", "run_cost_nano_usd")


def _series_measures(t: Any) -> list[Any]:
    return [_total(t, n) for n in _SERIES_USAGE] + _hist(t) + [_total(t, n) for n in _SERIES_RUNS]


def _usage_runs(values: Sequence[Any]) -> tuple[Usage, Runs]:
    """:func:`_series_measures`' values as ``(usage, runs)``."""
    split = len(_SERIES_USAGE) + 2 * LATENCY_BUCKETS
    return _usage([int(x) for x in values[:split]]), Runs(*[int(x) for x in values[split:]])


def bucket_sums(
    session: Session, workspace_id: str, ranges: list[tuple[int, int]], agent_id: str | None
) -> dict[int, tuple[Usage, Runs]]:
    """Calls and finished runs per range of hours ``[start, end)`` (ranges must not overlap), one
    agent's or everyone's, summed in SQL in one query over the charts' series and its twins.

    Returns:
        ``{index in ranges: (usage, runs)}`` for ranges that had any.
    """
    t = spanned_buckets(session, SERIES, workspace_id, ranges, agent_id or ALL_AGENTS)
    stmt = select(t.c.bucket, *_series_measures(t)).group_by(t.c.bucket)
    return {int(row[0]): _usage_runs(row[1:]) for row in session.execute(stmt).all()}


def series(
    session: Session, workspace_id: str, start_hour: int, ends: Sequence[int], agent_id: str | None
) -> dict[int, tuple[Usage, Runs]]:
    """Calls and finished runs per bucket, one agent's or everyone's, summed in SQL.

    Args:
        start_hour: First hour of the first bucket.
        ends: Each bucket's end hour (exclusive), ascending; bucket ``i`` is
            ``[ends[i-1], ends[i])``.

    Returns:
        ``{bucket index: (usage, runs)}`` for buckets that had any.
    """
    starts = [start_hour, *ends[:-1]]
    return bucket_sums(session, workspace_id, list(zip(starts, ends, strict=True)), agent_id)


def by_agent(
    session: Session, workspace_id: str, start_hour: int, end_hour: int, agent_id: str | None
) -> dict[str, tuple[Usage, Runs]]:
    """Calls and finished runs of hours ``[start_hour, end_hour)`` per agent (``""``: calls without
    an agent), from the charts' series: ``{agent id: (usage, runs)}`` for agents that had any."""
    t = spanned(session, SERIES, workspace_id, start_hour, end_hour, agent_id)
    stmt = select(t.c.agent_id, *_series_measures(t)).where(t.c.agent_id != ALL_AGENTS).group_by(t.c.agent_id)
    return {str(row[0]): _usage_runs(row[1:]) for row in session.execute(stmt).all()}
