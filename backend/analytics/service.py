"""The analytics page's one call: fresh rollups, then every chart and table of a period."""

from __future__ import annotations

from dataclasses import dataclass

from sqlmodel import Session

from backend.accounts import permissions
from backend.accounts.actor import Actor
from backend.analytics.agent_view import AgentView, agent_view
from backend.analytics.breakdowns import Breakdowns, agent_names, breakdowns
from backend.analytics.breakdowns import end_user_table as end_user_table
from backend.analytics.insights import CostInsights, cost_insights
from backend.analytics.overview import Overview, overview
from backend.analytics.periods import Period
from backend.analytics.rollup import catch_up
from backend.analytics.tables import Table
from backend.db import session_scope


@dataclass(frozen=True)
class Report:
    """Everything the analytics page shows for one period (and optionally one agent)."""

    overview: Overview
    breakdowns: Breakdowns
    insights: CostInsights
    agent: AgentView | None

    def tables(self) -> tuple[Table, ...]:
        """Every table and chart's data, each exportable as CSV/JSON."""
        extra = self.agent.tables() if self.agent else ()
        head = (self.overview.series, self.overview.errors)
        return (*head, *extra, *self.breakdowns.tables(), *self.insights.tables())


def build_report(
    *, actor: Actor, period: Period, agent_id: str | None = None, end_users: bool = True, session: Session
) -> Report:
    """Every figure of ``period`` from the rollups as they are (see :func:`load_report`);
    ``end_users=False`` leaves the end-user table empty (``breakdowns.end_user_table``).

    Raises:
        PermissionDenied: the actor is not a member of the workspace, or a viewer (``analytics.view``).
    """
    return Report(
        overview(actor=actor, period=period, agent_id=agent_id, session=session),
        breakdowns(actor=actor, period=period, agent_id=agent_id, end_users=end_users, session=session),
        cost_insights(actor=actor, period=period, agent_id=agent_id, session=session),
        agent_view(actor=actor, period=period, agent_id=agent_id, session=session) if agent_id else None,
    )


def load_report(*, actor: Actor, period: Period, agent_id: str | None = None, end_users: bool = True) -> Report:
    """Catch the rollups up (a pass shared with concurrent callers), then :func:`build_report` in one read transaction.

    Blocking: call it from a worker thread (a background handler), never on the event loop.

    Raises:
        PermissionDenied: the actor is not a member of the workspace, or a viewer (``analytics.view``).
    """
    catch_up()
    with session_scope() as session:
        return build_report(actor=actor, period=period, agent_id=agent_id, end_users=end_users, session=session)


def agent_choices(*, actor: Actor, session: Session) -> list[tuple[str, str]]:
    """``(agent id, name)`` of the workspace's agents, by name, for the agent filter.

    Raises:
        PermissionDenied: the actor is not a member of the workspace, or a viewer (``analytics.view``).
    """
    permissions.require(actor, permissions.ANALYTICS_VIEW, session)
    return sorted(agent_names(session, actor.workspace_id).items(), key=lambda kv: (kv[1].lower(), kv[0]))
