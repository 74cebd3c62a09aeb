"""Who a run is for: the agent's owner, the caller, and the end user, resolved once at the edge.

A run carries three identities (``docs/architecture.md``):

* the **owner** workspace: whose agent, connection, knowledge, tools, budgets and rate limits
  apply, and which workspace usage is charged to;
* the **caller**: who started the run, a workspace ``member``, the holder of a ``grant`` (a
  user of another workspace, e.g. a marketplace subscriber), an ``api_key``, or a ``visitor``
  trying a marketplace listing (its id is the listing's; the marketplace builds that principal);
* the **end user**: whose conversations and long-term memory these are.

The edge (the chat page, later the marketplace and the developer API) builds a
:class:`RunPrincipal` with :func:`principal_for_member` or :func:`principal_for_grant`; nothing
below it re-derives identities from a signed-in user.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

from sqlmodel import Session, col, select

from backend.accounts.actor import Actor, NotFound, require_member
from backend.models import Agent, AgentGrant

CallerKind = Literal["member", "grant", "api_key", "visitor"]


@dataclass(frozen=True)
class Caller:
    """Who started the run: ``kind``, its id (the member's user id, the grant id or the API
    key id) and the person's user id when a person called (None for an API key)."""

    kind: CallerKind
    id: str
    user_id: str | None


@dataclass(frozen=True)
class RunPrincipal:
    """The owner workspace, the agent, the caller and the end user of a run (immutable).

    ``connection_override``: a connection of the owner workspace that pays for the main model
    of ``agent_id`` instead of the blueprint's own (a marketplace listing's paying connection);
    None keeps the blueprint's. Fallbacks and delegates keep their own connections. The gateway
    resolves it like any target, with the owner's credentials only (``make_plan`` raises
    NotFound for a connection of another workspace).
    """

    owner_workspace_id: str
    agent_id: str
    caller: Caller
    end_user_id: str
    connection_override: str | None = None

    def main_connection(self, agent_id: str, own: str | None) -> str | None:
        """The connection for ``agent_id``'s main model: the override when ``agent_id`` is the
        run's own agent and an override is set, else the blueprint's ``own`` connection."""
        if self.connection_override and agent_id == self.agent_id:
            return self.connection_override
        return own

    @property
    def tool_actor(self) -> Actor:
        """The identity tools act as: the end user in the owner's workspace. Tools that touch
        workspace data check membership themselves, so they refuse a grantee."""
        return Actor(user_id=self.end_user_id, workspace_id=self.owner_workspace_id)


def _live_agent(agent_id: str, session: Session) -> Agent:
    agent = session.get(Agent, agent_id)
    if agent is None or agent.deleted_at is not None:
        raise NotFound("Agent not found.")
    return agent


def principal_for_member(actor: Actor, agent_id: str, session: Session) -> RunPrincipal:
    """A member running an agent of their own workspace (the chat page).

    Raises:
        PermissionDenied: ``actor`` is not a member of its workspace.
        NotFound: no such agent in the actor's workspace.
    """
    require_member(actor, session)
    agent = _live_agent(agent_id, session)
    if agent.workspace_id != actor.workspace_id:
        raise NotFound("Agent not found.")
    return RunPrincipal(actor.workspace_id, agent.id, Caller("member", actor.user_id, actor.user_id), actor.user_id)


def principal_for_grant(user_id: str, agent_id: str, session: Session) -> RunPrincipal:
    """A user holding an active grant on ``agent_id`` (typically from another workspace).

    Raises:
        NotFound: no such agent, or the user holds no active grant on it (the same error, so
            the existence of an agent is not revealed).
    """
    agent = _live_agent(agent_id, session)
    grant = session.exec(
        select(AgentGrant).where(
            AgentGrant.agent_id == agent.id,
            AgentGrant.owner_workspace_id == agent.workspace_id,
            AgentGrant.grantee_user_id == user_id,
            col(AgentGrant.revoked_at).is_(None),
        )
    ).first()
    if grant is None:
        raise NotFound("Agent not found.")
    return RunPrincipal(agent.workspace_id, agent.id, Caller("grant", grant.id, user_id), user_id)
