"""Permission checks shared by the memory services, and the identity background jobs act as."""

from __future__ import annotations

import hashlib

from sqlmodel import Session

from backend.accounts.actor import Actor, NotFound, require_member
from backend.accounts.roles import require_manager
from backend.models import Agent, Workspace


def require_agent(actor: Actor, agent_id: str, session: Session) -> Agent:
    """The actor's workspace's (not deleted) agent.

    Raises:
        PermissionDenied: not a member of the workspace.
        NotFound: no such agent in the actor's workspace (also for another workspace's agent).
    """
    require_member(actor, session)
    agent = session.get(Agent, agent_id)
    if agent is None or agent.workspace_id != actor.workspace_id or agent.deleted_at is not None:
        raise NotFound("Agent not found.")
    return agent


def require_admin(actor: Actor, session: Session) -> None:
    """Raise ``PermissionDenied`` unless the actor is an owner or admin of the workspace."""
    require_manager(actor, session)


def system_actor(workspace_id: str, session: Session) -> Actor:
    """The identity a background job uses to decrypt the workspace's connection: its owner.

    Raises:
        NotFound: the workspace does not exist.
    """
    workspace = session.get(Workspace, workspace_id)
    if workspace is None:
        raise NotFound("Workspace not found.")
    return Actor(user_id=workspace.owner_id, workspace_id=workspace.id)


def model_key(connection_id: str, model: str) -> str:
    """Stable 20-hex-character key naming the vectors of one embedding model of one connection."""
    return hashlib.sha256(f"{connection_id}\x00{model}".encode()).hexdigest()[:20]
