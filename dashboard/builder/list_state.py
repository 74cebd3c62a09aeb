"""State of the ``/agents`` page: the workspace's agents and the template gallery."""

from __future__ import annotations

import dataclasses
from typing import Any

import reflex as rx
from sqlmodel import Session

from backend.accounts import permissions
from backend.accounts.actor import NotFound, PermissionDenied
from backend.agents.service import list_agents, list_templates
from backend.connections.service import list_connections
from dashboard.shell.auth import signed_in
from dashboard.shell.db import in_session
from marketplace.listings import retire_agent


@dataclasses.dataclass
class AgentCard:
    """One agent of the list page."""

    id: str = ""
    name: str = ""
    description: str = ""
    avatar: str = ""
    model: str = ""
    version: int = 1


@dataclasses.dataclass
class TemplateCard:
    """One card of the template gallery."""

    slug: str = ""
    name: str = ""
    category: str = ""
    description: str = ""
    avatar: str = ""
    sample_answer: str = ""  # markdown: how an agent made from it answers


class AgentsState(rx.State):
    """``/agents``: the workspace's agents, the template gallery and whether any connection exists."""

    agents: list[AgentCard] = []
    templates: list[TemplateCard] = []
    has_connections: bool = True
    loaded: bool = False
    error: str = ""
    notice: str = ""

    async def _refresh(self, actor: Any) -> None:
        def work(session: Session) -> tuple[list[Any], list[TemplateCard], bool]:
            templates = [
                TemplateCard(t.slug, t.name, t.category, t.description, t.avatar, t.sample_answer)
                for t in list_templates(session=session)
            ]
            # Viewers do not see connections (nor build agents): no "add a connection" prompt for them.
            viewable = permissions.can(actor, permissions.CONNECTIONS_VIEW, session)
            connected = not viewable or bool(list_connections(actor=actor, session=session))
            return list_agents(actor=actor, session=session), templates, connected

        rows, self.templates, self.has_connections = await in_session(work)
        self.agents = [AgentCard(a.id, a.name, a.description, a.avatar, a.model, a.current_version) for a in rows]

    @rx.event
    async def load(self) -> None:
        """``on_load``: fetch the agents, templates and connection count."""
        self.error = self.notice = ""
        actor = await signed_in(self)
        try:
            await self._refresh(actor)
        except PermissionDenied:
            self.error = "You are not a member of this workspace."
        self.loaded = True

    @rx.event
    async def delete(self, agent_id: str, name: str):  # type: ignore[no-untyped-def]
        """Delete an agent (after the confirmation dialog) and refresh the list."""
        actor = await signed_in(self)
        self.error = self.notice = ""
        try:
            await in_session(lambda s: retire_agent(actor=actor, agent_id=agent_id, session=s))  # unlists it too
        except (NotFound, PermissionDenied) as exc:
            self.error = str(exc) or "That agent could not be deleted."
        else:
            self.notice = f"Deleted {name}."
        await self._refresh(actor)
        return None
