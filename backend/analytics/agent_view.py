"""One agent's extra tables: its top conversation starters and its slowest and failed runs, each
run with the conversation it belongs to (the page links ``/chat?c=<conversation id>``)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import func, literal_column, select
from sqlalchemy.sql.expression import Select
from sqlmodel import Session

from backend.accounts import permissions
from backend.accounts.actor import Actor
from backend.analytics.indexed import runs_via
from backend.analytics.periods import Period
from backend.analytics.rollup import hour_start
from backend.analytics.tables import Table, usd
from backend.models.agent import BlueprintVersion
from backend.models.analytics import RUNS_AGENT_INDEX, RUNS_FAILED_INDEX, RUNS_SLOWEST_INDEX
from backend.models.chat import Conversation, Message

STARTER_CHARS = 200
"""Starters are compared and shown by their first 200 characters."""
STARTER_SAMPLE = 2000
"""Starters are counted over the latest 2,000 conversations of the period, so the table costs the
same at any size (the exact top over 60k conversations took 270-440 ms of CPU)."""
LIMIT = 10


@dataclass(frozen=True)
class AgentView:
    """``starters``, ``slowest`` and ``failed`` tables of one agent (runs newest or slowest first)."""

    starters: Table
    slowest: Table
    failed: Table

    def tables(self) -> tuple[Table, ...]:
        """All three, in page order."""
        return (self.starters, self.slowest, self.failed)


def _starters(session: Session, ws: str, agent_id: str, period: Period, sample: int) -> Table:
    """The most frequent first user messages among the ``sample`` latest conversations started in
    ``period``: a bounded read (the (agent, created_at) index for the conversations, then one
    (conversation, position) index probe each for its first user message)."""
    c, m = Conversation.__table__, Message.__table__  # type: ignore[attr-defined]
    recent = (
        select(c.c.id)
        .where(c.c.workspace_id == ws, c.c.agent_id == agent_id)
        .where(c.c.created_at >= hour_start(period.start_hour), c.c.created_at < hour_start(period.end_hour))
        .order_by(c.c.created_at.desc())  # the index's order: the read stops after ``sample`` entries
        .limit(sample)
        .subquery()
    )
    first_text = (
        select(func.substr(m.c.content, 1, STARTER_CHARS))
        .where(m.c.conversation_id == recent.c.id, m.c.role == "user")
        .order_by(m.c.position)
        .limit(1)
        .scalar_subquery()
    )
    starters = select(first_text.label("text")).select_from(recent).subquery()
    count = func.count()
    stmt = (
        select(starters.c.text, count)
        .where(starters.c.text.is_not(None))
        .group_by(starters.c.text)
        .order_by(count.desc(), starters.c.text)
        .limit(LIMIT)
    )
    rows = tuple((str(t), int(n)) for t, n in session.execute(stmt).all())
    title = f"Top conversation starters (latest {sample:,} conversations)"
    return Table("starters", title, ("first_message", "conversations"), rows)


def _version(version: int | None) -> str:
    """A run's blueprint version as the builder shows it: ``"draft"`` (version 0, the preview) or ``"v3"``."""
    if version is None:
        return ""
    return "draft" if version == 0 else f"v{version}"


PROBE = 2000
"""Runs of an agent in a range up to which its slowest runs are found by sorting them (below);
from this many on, by reading the agent's runs slowest first until 10 fall in the range."""


def _many_runs(session: Session, agent_id: str, start: datetime, end: datetime) -> bool:
    """Whether the agent has at least :data:`PROBE` runs (any status) started in ``[start, end)``:
    at most that many entries of ``ix_runs_agent_created``."""
    r = runs_via(RUNS_AGENT_INDEX).c
    some: Select[Any] = select(literal_column("1"))
    some = some.where(r.agent_id == agent_id, r.created_at >= start, r.created_at < end)
    return int(session.execute(select(func.count()).select_from(some.limit(PROBE).subquery())).scalar_one()) >= PROBE


def _runs(session: Session, ws: str, agent_id: str, period: Period, *, failed: bool) -> Table:
    start, end = hour_start(period.start_hour), hour_start(period.end_hour)
    if failed:
        index = RUNS_FAILED_INDEX  # newest first: the first 10 entries of the range
    elif _many_runs(session, agent_id, start, end):
        index = RUNS_SLOWEST_INDEX  # slowest first: stops at the 10th in range
    else:
        index = RUNS_AGENT_INDEX  # few runs in range: sort them
    r, bv = runs_via(index), BlueprintVersion.__table__  # type: ignore[attr-defined]
    stmt = select(r.c.id, r.c.conversation_id, r.c.created_at, r.c.status, r.c.model, r.c.latency_ms, r.c.cost_nano_usd)
    stmt = stmt.add_columns(r.c.error, bv.c.version).outerjoin(bv, bv.c.id == r.c.blueprint_version_id)
    stmt = stmt.where(r.c.workspace_id == ws, r.c.agent_id == agent_id, r.c.created_at >= start, r.c.created_at < end)
    # the partial indexes' conditions with literal values, so SQLite sees that they apply
    if failed:
        stmt = stmt.where(r.c.status.in_([literal_column("'failed'"), literal_column("'cancelled'")]))
        stmt = stmt.order_by(r.c.created_at.desc(), r.c.id.desc())
    else:
        stmt = stmt.where(r.c.status == literal_column("'succeeded'"), r.c.latency_ms.is_not(None))
        stmt = stmt.order_by(r.c.latency_ms.desc(), r.c.created_at.desc(), r.c.id.desc())
    rows = tuple(
        (
            rid,
            conv or "",
            at.strftime("%Y-%m-%d %H:%M UTC"),
            _version(v),
            status,
            model,
            ms,
            usd(int(cost or 0)),
            (err or "")[:200],
        )
        for rid, conv, at, status, model, ms, cost, err, v in session.execute(stmt.limit(LIMIT)).all()
    )
    columns = ("run_id", "conversation_id", "started", "version", "status", "model", "latency_ms", "cost_usd", "error")
    key, title = ("failed_runs", "Failed and cancelled runs") if failed else ("slowest_runs", "Slowest runs")
    return Table(key, title, columns, rows)


def agent_view(
    *, actor: Actor, period: Period, agent_id: str, session: Session, starter_sample: int = STARTER_SAMPLE
) -> AgentView:
    """Top conversation starters (first user message of the ``starter_sample`` latest conversations
    started in ``period``, most frequent first) and the 10 slowest succeeded and 10 latest failed/cancelled runs started
    in ``period`` of one agent of the actor's workspace (another workspace's agent shows nothing).

    Raises:
        PermissionDenied: the actor is not a member of the workspace, or a viewer (``analytics.view``).
    """
    permissions.require(actor, permissions.ANALYTICS_VIEW, session)
    ws = actor.workspace_id
    return AgentView(
        _starters(session, ws, agent_id, period, starter_sample),
        _runs(session, ws, agent_id, period, failed=False),
        _runs(session, ws, agent_id, period, failed=True),
    )
