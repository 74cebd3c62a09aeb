"""One agent's extra tables: its top conversation starters and its slowest and failed runs, each
run with the conversation it belongs to (the page links ``/chat?c=<conversation id>``)."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import and_, func, select
from sqlmodel import Session

from backend.accounts import permissions
from backend.accounts.actor import Actor
from backend.analytics.periods import Period
from backend.analytics.rollup import hour_start
from backend.analytics.tables import Table, usd
from backend.models.agent import BlueprintVersion
from backend.models.chat import Conversation, Message, Run

STARTER_CHARS = 200
"""Starters are compared and shown by their first 200 characters."""
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


def _starters(session: Session, ws: str, agent_id: str, period: Period) -> Table:
    c, m = Conversation.__table__, Message.__table__  # type: ignore[attr-defined]
    first = (
        select(m.c.conversation_id, func.min(m.c.position).label("position"))
        .join(c, c.c.id == m.c.conversation_id)
        .where(c.c.workspace_id == ws, c.c.agent_id == agent_id, m.c.role == "user")
        .where(c.c.created_at >= hour_start(period.start_hour), c.c.created_at < hour_start(period.end_hour))
        .group_by(m.c.conversation_id)
        .subquery()
    )
    text = func.substr(m.c.content, 1, STARTER_CHARS)
    count = func.count()
    stmt = (
        select(text, count)
        .join(first, and_(first.c.conversation_id == m.c.conversation_id, first.c.position == m.c.position))
        .group_by(text)
        .order_by(count.desc(), text)
        .limit(LIMIT)
    )
    rows = tuple((str(t), int(n)) for t, n in session.execute(stmt).all())
    return Table("starters", "Top conversation starters", ("first_message", "conversations"), rows)


def _version(version: int | None) -> str:
    """A run's blueprint version as the builder shows it: ``"draft"`` (version 0, the preview) or ``"v3"``."""
    if version is None:
        return ""
    return "draft" if version == 0 else f"v{version}"


def _runs(session: Session, ws: str, agent_id: str, period: Period, *, failed: bool) -> Table:
    r, bv = Run.__table__, BlueprintVersion.__table__  # type: ignore[attr-defined]
    stmt = select(r.c.id, r.c.conversation_id, r.c.created_at, r.c.status, r.c.model, r.c.latency_ms, r.c.cost_nano_usd)
    stmt = stmt.add_columns(r.c.error, bv.c.version).outerjoin(bv, bv.c.id == r.c.blueprint_version_id)
    stmt = stmt.where(
        r.c.workspace_id == ws,
        r.c.agent_id == agent_id,
        r.c.created_at >= hour_start(period.start_hour),
        r.c.created_at < hour_start(period.end_hour),
    )
    if failed:
        stmt = stmt.where(r.c.status.in_(("failed", "cancelled"))).order_by(r.c.created_at.desc())
    else:
        stmt = stmt.where(r.c.status == "succeeded", r.c.latency_ms.is_not(None)).order_by(r.c.latency_ms.desc())
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


def agent_view(*, actor: Actor, period: Period, agent_id: str, session: Session) -> AgentView:
    """Top conversation starters (first user message of conversations started in ``period``,
    most frequent first) and the 10 slowest succeeded and 10 latest failed/cancelled runs started
    in ``period`` of one agent of the actor's workspace (another workspace's agent shows nothing).

    Raises:
        PermissionDenied: the actor is not a member of the workspace, or a viewer (``analytics.view``).
    """
    permissions.require(actor, permissions.ANALYTICS_VIEW, session)
    ws = actor.workspace_id
    return AgentView(
        _starters(session, ws, agent_id, period),
        _runs(session, ws, agent_id, period, failed=False),
        _runs(session, ws, agent_id, period, failed=True),
    )
