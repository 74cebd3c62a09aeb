"""Analytics rollups: hourly sums of usage records, finished runs and tool calls (issue 14).

Every rollup row sums one UTC hour (``hour``: whole hours since 1970-01-01 00:00 UTC) of one
workspace for one combination of dimensions; dimensions are never NULL (``""`` stands for
"none"), so the dimensions form the primary key and a rebuilt hour can never be counted twice.
The raw rows stay the one truth: ``backend.analytics.rollup`` recomputes recent hours from
them, idempotently, and advances a watermark (:class:`RollupState`) behind which hours are final.

Latency and time to first token keep a histogram (``lat_0``..``lat_16``, ``ttft_0``..``ttft_16``:
call counts per bucket of :data:`LATENCY_EDGES_MS`) so p50/p95 can be estimated for any set of
hours. Units: tokens; ``cost_nano_usd`` nano-USD; ``*_ms_sum`` milliseconds.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import BigInteger, Column, Index, Integer, String, Table, text
from sqlmodel import Field, SQLModel

from backend.models.chat import Conversation, Message, Run
from backend.models.common import utcnow
from backend.models.tools import ToolAudit

LATENCY_EDGES_MS = (50, 100, 200, 300, 500, 750, 1000, 1500, 2000, 3000, 5000, 7500, 10000, 15000, 30000, 60000)
"""Upper edges (exclusive) of the latency buckets; bucket ``i`` holds ``[edge[i-1], edge[i])``,
the last one everything from 60 s on."""

LATENCY_BUCKETS = len(LATENCY_EDGES_MS) + 1

# Runs are rolled up by the hour they finished in; this index finds the recently finished ones.
RUNS_FINISHED_INDEX = Index("ix_runs_finished_at", Run.__table__.c.finished_at)  # type: ignore[attr-defined]
# The rollup reads tool calls of recent hours across workspaces.
TOOL_AUDIT_CREATED_INDEX = Index("ix_tool_audit_created_at", ToolAudit.__table__.c.created_at)  # type: ignore[attr-defined]
# An agent's slowest and failed runs of a period (``backend.analytics.agent_view``).
RUNS_AGENT_INDEX = Index("ix_runs_agent_created", Run.__table__.c.agent_id, Run.__table__.c.created_at)  # type: ignore[attr-defined]
_RUNS: Table = Run.__table__  # type: ignore[attr-defined]
SUCCEEDED_WITH_LATENCY = text("status = 'succeeded' AND latency_ms IS NOT NULL")
FAILED_OR_CANCELLED = text("status IN ('failed', 'cancelled')")
# Read backwards: an agent's slowest succeeded runs first, its latest failed or cancelled runs first.
RUNS_SLOWEST_INDEX = Index(
    "ix_runs_agent_slowest",
    _RUNS.c.agent_id,
    _RUNS.c.latency_ms,
    _RUNS.c.created_at,
    _RUNS.c.id,
    sqlite_where=SUCCEEDED_WITH_LATENCY,
    postgresql_where=SUCCEEDED_WITH_LATENCY,
)
RUNS_FAILED_INDEX = Index(
    "ix_runs_agent_failed",
    _RUNS.c.agent_id,
    _RUNS.c.created_at,
    _RUNS.c.id,
    sqlite_where=FAILED_OR_CANCELLED,
    postgresql_where=FAILED_OR_CANCELLED,
)
# An agent's conversations started in a period (its top conversation starters).
_CONVERSATIONS: Table = Conversation.__table__  # type: ignore[attr-defined]
CONVERSATIONS_AGENT_INDEX = Index(
    "ix_conversations_agent_created", _CONVERSATIONS.c.agent_id, _CONVERSATIONS.c.created_at
)
# A conversation's messages in order; its first user message in one probe (starters).
_MESSAGES: Table = Message.__table__  # type: ignore[attr-defined]
MESSAGES_POSITION_INDEX = Index("ix_messages_conversation_position", _MESSAGES.c.conversation_id, _MESSAGES.c.position)


def _key(length: int) -> Any:
    return Field(default="", sa_column=Column(String(length), primary_key=True, nullable=False, default=""))


def _hour() -> Any:
    return Field(sa_column=Column(BigInteger, primary_key=True, nullable=False, autoincrement=False))


def _sum() -> Any:
    return Field(default=0, sa_column=Column(BigInteger, nullable=False, default=0))


def _count() -> Any:
    return Field(default=0, sa_column=Column(Integer, nullable=False, default=0))


class UsageHourly(SQLModel, table=True):
    """Gateway calls of one hour per agent, connection, provider, model, status and error class.

    ``status``/``error_class`` as on ``UsageRecord``; ``ttft_calls`` counts calls that had a
    first token (the others have no TTFT).
    """

    __tablename__ = "analytics_usage_hourly"

    workspace_id: str = _key(32)
    hour: int = _hour()
    agent_id: str = _key(32)
    connection_id: str = _key(32)
    provider: str = _key(40)
    model: str = _key(200)
    status: str = _key(20)
    error_class: str = _key(40)
    calls: int = _count()
    prompt_tokens: int = _sum()
    completion_tokens: int = _sum()
    cached_tokens: int = _sum()
    cost_nano_usd: int = _sum()
    latency_ms_sum: int = _sum()
    ttft_calls: int = _count()
    ttft_ms_sum: int = _sum()


def _histogram(model: Any) -> None:
    """Add the histogram columns ``lat_i``/``ttft_i`` to a rollup table."""
    for i in range(LATENCY_BUCKETS):
        model.__table__.append_column(Column(f"lat_{i}", Integer, nullable=False, default=0))
        model.__table__.append_column(Column(f"ttft_{i}", Integer, nullable=False, default=0))


_histogram(UsageHourly)


class EndUserHourly(SQLModel, table=True):
    """Gateway calls of one hour per agent and end user (``errors``: status other than ``ok``), and
    per end user for all agents together (``agent_id="*"``: the all-agents table reads those)."""

    __tablename__ = "analytics_end_user_hourly"

    workspace_id: str = _key(32)
    hour: int = _hour()
    agent_id: str = _key(32)
    end_user_id: str = _key(64)
    calls: int = _count()
    errors: int = _count()
    prompt_tokens: int = _sum()
    completion_tokens: int = _sum()
    cost_nano_usd: int = _sum()


class RunHourly(SQLModel, table=True):
    """Runs that finished in one hour, per agent, model, provider and final status
    (``succeeded``, ``failed`` or ``cancelled``); tokens and cost are the runs' totals."""

    __tablename__ = "analytics_run_hourly"

    workspace_id: str = _key(32)
    hour: int = _hour()
    agent_id: str = _key(32)
    model: str = _key(200)
    provider: str = _key(40)
    status: str = _key(20)
    runs: int = _count()
    prompt_tokens: int = _sum()
    completion_tokens: int = _sum()
    cost_nano_usd: int = _sum()
    latency_ms_sum: int = _sum()


class ToolHourly(SQLModel, table=True):
    """Tool calls of one hour per agent, tool and outcome (``ok``, ``error``, ``denied``, ``timeout``)."""

    __tablename__ = "analytics_tool_hourly"

    workspace_id: str = _key(32)
    hour: int = _hour()
    agent_id: str = _key(32)
    tool_name: str = _key(64)
    status: str = _key(10)
    calls: int = _count()
    duration_ms_sum: int = _sum()


class SeriesHourly(SQLModel, table=True):
    """The charts' figures of one hour: per agent, and for the whole workspace (``agent_id="*"``).

    Derived from :class:`UsageHourly` (calls by status, tokens, cost, latency histograms) and
    :class:`RunHourly` (``runs``, ``succeeded``, ``failed``, ``runs_cancelled``,
    ``run_cost_nano_usd``), so a chart reads one row per hour whatever the dimensions.
    """

    __tablename__ = "analytics_series_hourly"

    workspace_id: str = _key(32)
    agent_id: str = _key(32)
    hour: int = _hour()
    calls: int = _count()
    ok: int = _count()
    cancelled: int = _count()
    rejected: int = _count()
    prompt_tokens: int = _sum()
    completion_tokens: int = _sum()
    cached_tokens: int = _sum()
    cost_nano_usd: int = _sum()
    latency_ms_sum: int = _sum()
    ttft_calls: int = _count()
    ttft_ms_sum: int = _sum()
    runs: int = _count()
    succeeded: int = _count()
    failed: int = _count()
    runs_cancelled: int = _count()
    run_cost_nano_usd: int = _sum()


_histogram(SeriesHourly)

HOURLY: tuple[Table, ...] = tuple(m.__table__ for m in (UsageHourly, EndUserHourly, RunHourly, ToolHourly))  # type: ignore[union-attr]
ALL_AGENTS = "*"
"""``agent_id`` of the whole workspace's rows of :class:`SeriesHourly` and :class:`EndUserHourly`."""
DAILY: dict[str, Table] = {
    t.name: t.to_metadata(SQLModel.metadata, name=t.name.replace("_hourly", "_daily")) for t in HOURLY
}
"""Daily twins of the hourly rollups by hourly table name (same columns; ``hour`` is the first
hour of the UTC day): a range of hours reads whole days from the twin, edge days hour by hour.
:class:`SeriesHourly` has twins too (``analytics_series_daily``/``_weekly``, added below)."""
WEEK_HOURS = 168
WEEKLY: dict[str, Table] = {
    t.name: t.to_metadata(SQLModel.metadata, name=t.name.replace("_hourly", "_weekly")) for t in HOURLY
}
"""Weekly twins (same columns; ``hour`` a multiple of :data:`WEEK_HOURS`: weeks of 168 hours from
the Unix epoch, Thursday 00:00 UTC — a storage tier, not the calendar weeks charts show): a long
range reads whole weeks from them, then whole days, then hours (``derived.spanned``)."""
_SERIES: Table = SeriesHourly.__table__  # type: ignore[attr-defined]
DAILY[_SERIES.name] = _SERIES.to_metadata(SQLModel.metadata, name="analytics_series_daily")
WEEKLY[_SERIES.name] = _SERIES.to_metadata(SQLModel.metadata, name="analytics_series_weekly")
# The rollup rebuilds a range of hours across workspaces: every rollup table has an index on ``hour``.
for _table in (*HOURLY, _SERIES, *DAILY.values(), *WEEKLY.values()):
    Index(f"ix_{_table.name}_hour", _table.c.hour)
END_USER_TABLES: tuple[Table, ...] = (
    EndUserHourly.__table__,  # type: ignore[attr-defined]
    DAILY["analytics_end_user_hourly"],
    WEEKLY["analytics_end_user_hourly"],
)
"""The end-user rollup's rows include one per end user for the whole workspace (``agent_id="*"``,
as in :class:`SeriesHourly`); this covering index reads one agent's (or ``"*"``'s) rows of a range."""
for _table in END_USER_TABLES:
    _c = _table.c
    Index(
        f"ix_{_table.name}_agent",
        _c.workspace_id,
        _c.agent_id,
        _c.hour,
        _c.end_user_id,
        _c.cost_nano_usd,
        _c.calls,
        _c.errors,
        _c.prompt_tokens,
        _c.completion_tokens,
    )


class RollupState(SQLModel, table=True):
    """How far one rollup is final: every hour before ``watermark_hour`` is (``source`` names the
    rollup: ``usage``, ``end_users``, ``runs`` or ``tools``). ``passes`` counts rollup passes.
    The row ``lock`` carries no watermark: every rollup transaction locks it first, so rollup
    transactions (which also rebuild the derived tables) run one at a time."""

    __tablename__ = "analytics_rollup_state"

    source: str = Field(primary_key=True, max_length=20)
    watermark_hour: int = Field(default=0, sa_column=Column(BigInteger, nullable=False, default=0))
    passes: int = Field(default=0, sa_column=Column(BigInteger, nullable=False, default=0))
    updated_at: datetime = Field(default_factory=utcnow)
