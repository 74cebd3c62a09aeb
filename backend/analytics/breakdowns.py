"""Breakdown tables of the analytics page: by agent, by model/provider, by connection, by end
user, and tool calls per tool."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import case, func, select
from sqlmodel import Session

from backend.accounts import permissions
from backend.accounts.actor import Actor
from backend.analytics.derived import spanned
from backend.analytics.measures import Usage, by_agent, usage_by
from backend.analytics.periods import Period
from backend.analytics.tables import Cell, Table, percent, usd
from backend.models import Agent, BlueprintVersion, Connection
from backend.models.analytics import ALL_AGENTS, EndUserHourly, ToolHourly

END_USER_LIMIT = 200
"""The end-user table lists the users who cost most, up to this many."""

END_USER_TITLE = "By end user"
END_USER_COLUMNS = ("end_user_id", "calls", "call_errors", "prompt_tokens", "completion_tokens", "cost_usd")
_USAGE_COLUMNS = (
    "calls",
    "call_errors",
    "prompt_tokens",
    "completion_tokens",
    "cost_usd",
    "latency_p50_ms",
    "latency_p95_ms",
)


def _usage_cells(u: Usage) -> tuple[Cell, ...]:
    return (
        u.calls,
        u.errors,
        u.prompt_tokens,
        u.completion_tokens,
        usd(u.cost_nano_usd),
        u.latency(0.5),
        u.latency(0.95),
    )


def agent_names(session: Session, workspace_id: str) -> dict[str, str]:
    """``{agent id: name}`` of the workspace's agents."""
    a, v = Agent.__table__, BlueprintVersion.__table__  # type: ignore[attr-defined]
    current = (v.c.agent_id == a.c.id) & (v.c.version == a.c.current_version)
    rows = session.execute(select(a.c.id, v.c.name).join(v, current).where(a.c.workspace_id == workspace_id)).all()
    return {str(i): str(n) for i, n in rows}


def _by_agent(session: Session, ws: str, p: Period, agent_id: str | None) -> Table:
    figures = by_agent(session, ws, p.start_hour, p.end_hour, agent_id)
    names = agent_names(session, ws)
    rows = []
    for agent, (u, r) in sorted(figures.items(), key=lambda kv: (-kv[1][0].cost_nano_usd, -kv[1][0].calls, kv[0])):
        label = names.get(agent, "(deleted agent)") if agent else "(no agent)"
        rows.append((label, agent, r.runs, percent(r.succeeded, r.runs), *_usage_cells(u)))
    columns = ("agent", "agent_id", "runs", "success_rate_pct", *_USAGE_COLUMNS)
    return Table("by_agent", "By agent", columns, tuple(rows))


def _by_model(session: Session, ws: str, p: Period, agent_id: str | None) -> Table:
    usage = usage_by(session, ws, p.start_hour, p.end_hour, agent_id, ["provider", "model"])
    ordered = sorted(usage.items(), key=lambda kv: (-kv[1].cost_nano_usd, kv[0]))
    rows = tuple((str(prov) or "(none)", str(model) or "(none)", *_usage_cells(u)) for (prov, model), u in ordered)
    return Table("by_model", "By model", ("provider", "model", *_USAGE_COLUMNS), rows)


def _by_connection(session: Session, ws: str, p: Period, agent_id: str | None) -> Table:
    usage = usage_by(session, ws, p.start_hour, p.end_hour, agent_id, ["connection_id"])
    conns = session.execute(select(Connection.id, Connection.name).where(Connection.workspace_id == ws)).all()  # type: ignore[call-overload]
    names = {str(i): str(n) for i, n in conns}
    ordered = sorted(usage.items(), key=lambda kv: (-kv[1].cost_nano_usd, kv[0]))
    rows = tuple(
        (names.get(str(cid), "(deleted connection)") if cid else "(none)", str(cid), *_usage_cells(u))
        for (cid,), u in ordered
    )
    return Table("by_connection", "By connection", ("connection", "connection_id", *_USAGE_COLUMNS), rows)


def _by_end_user(session: Session, ws: str, p: Period, agent_id: str | None) -> Table:
    t = spanned(session, EndUserHourly.__table__, ws, p.start_hour, p.end_hour, agent_id or ALL_AGENTS)  # type: ignore[attr-defined]
    cost = func.sum(t.c.cost_nano_usd)
    stmt = (
        select(t.c.end_user_id, func.sum(t.c.calls), func.sum(t.c.errors), func.sum(t.c.prompt_tokens))
        .add_columns(func.sum(t.c.completion_tokens), cost)
        .group_by(t.c.end_user_id)
        .order_by(cost.desc(), t.c.end_user_id)
        .limit(END_USER_LIMIT)
    )
    rows = tuple(
        (str(uid) or "(none)", int(c), int(e), int(pt), int(ct), usd(int(n)))
        for uid, c, e, pt, ct, n in session.execute(stmt).all()
    )
    return Table("by_end_user", END_USER_TITLE, END_USER_COLUMNS, rows)


def _tools(session: Session, ws: str, p: Period, agent_id: str | None) -> Table:
    t = spanned(session, ToolHourly.__table__, ws, p.start_hour, p.end_hour, agent_id)  # type: ignore[attr-defined]
    calls = func.sum(t.c.calls)
    failed = func.sum(case((t.c.status != "ok", t.c.calls), else_=0))
    stmt = (
        select(t.c.tool_name, calls, failed, func.sum(t.c.duration_ms_sum))
        .group_by(t.c.tool_name)
        .order_by(calls.desc(), t.c.tool_name)
    )
    rows = tuple(
        (str(name), int(n), int(f), percent(int(f), int(n)), int(d) // int(n) if n else None)
        for name, n, f, d in session.execute(stmt).all()
    )
    return Table("tools", "Tool calls", ("tool", "calls", "failures", "failure_rate_pct", "avg_duration_ms"), rows)


@dataclass(frozen=True)
class Breakdowns:
    """The breakdown tables (each a :class:`~backend.analytics.tables.Table`)."""

    by_agent: Table
    by_model: Table
    by_connection: Table
    by_end_user: Table
    tools: Table

    def tables(self) -> tuple[Table, ...]:
        """All of them, in page order."""
        return (self.by_agent, self.by_model, self.by_connection, self.by_end_user, self.tools)


def breakdowns(
    *, actor: Actor, period: Period, agent_id: str | None = None, end_users: bool = True, session: Session
) -> Breakdowns:
    """Figures of ``period`` per agent, model/provider, connection, end user and tool.

    Cost in USD (6 decimals, from nano-USD sums), latencies in ms (histogram estimates), success
    rate over finished runs; rows ordered by cost (tools by calls). ``agent_id`` limits every
    table to one agent. ``end_users=False`` leaves the end-user table empty (the slowest one with
    many end users: the page loads it afterwards with :func:`end_user_table`).

    Raises:
        PermissionDenied: the actor is not a member of the workspace, or a viewer (``analytics.view``).
    """
    permissions.require(actor, permissions.ANALYTICS_VIEW, session)
    ws = actor.workspace_id
    users = (
        _by_end_user(session, ws, period, agent_id)
        if end_users
        else Table("by_end_user", END_USER_TITLE, END_USER_COLUMNS, ())
    )
    return Breakdowns(
        _by_agent(session, ws, period, agent_id),
        _by_model(session, ws, period, agent_id),
        _by_connection(session, ws, period, agent_id),
        users,
        _tools(session, ws, period, agent_id),
    )


def end_user_table(*, actor: Actor, period: Period, agent_id: str | None = None, session: Session) -> Table:
    """The end users who cost most in ``period`` (up to :data:`END_USER_LIMIT`), as in :func:`breakdowns`.

    Raises:
        PermissionDenied: the actor is not a member of the workspace, or a viewer (``analytics.view``).
    """
    permissions.require(actor, permissions.ANALYTICS_VIEW, session)
    return _by_end_user(session, actor.workspace_id, period, agent_id)
