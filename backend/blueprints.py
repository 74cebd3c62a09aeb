"""Blueprints as stored: an agent's pinned versions and the agents it may ask (the lowest agent layer).

Reading a blueprint needs nothing above the models, so conversations (``backend.chat``), the
runtime and the agents service all read through here; writing and validating blueprints stays in
``backend.agents.service``, which may use the tool registry.
"""

from __future__ import annotations

from collections.abc import Sequence

from sqlmodel import Session, col, select

from backend.accounts import permissions
from backend.accounts.actor import Actor, NotFound, require_member
from backend.models import Agent, BlueprintVersion

MAX_DELEGATES = 10
"""Most agents one blueprint may ask ("ask <agent>" tools)."""

DRAFT_VERSION = 0
"""``BlueprintVersion.version`` of an agent's draft (the mutable working copy the builder edits
and its preview runs); saved versions are numbered from 1."""


def version_label(version: int) -> str:
    """How a blueprint version is shown: ``"draft"`` for the draft, else ``"v<n>"``."""
    return "draft" if version == DRAFT_VERSION else f"v{version}"


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


def edit_agent(actor: Actor, agent_id: str, session: Session) -> Agent:
    """The actor's workspace's agent, for a change (``agents.edit``: owners, admins, builders).

    Raises:
        PermissionDenied: not a member, or a viewer. NotFound: as :func:`require_agent`.
    """
    permissions.require(actor, permissions.AGENTS_EDIT, session)
    return require_agent(actor, agent_id, session)


def get_blueprint(*, actor: Actor, agent_id: str, version: int | None = None, session: Session) -> BlueprintVersion:
    """A saved blueprint version (the current one by default; ``version=0`` also means the
    current one, never the draft). Raises NotFound, PermissionDenied."""
    agent = require_agent(actor, agent_id, session)
    row = session.exec(
        select(BlueprintVersion).where(
            BlueprintVersion.agent_id == agent.id,
            BlueprintVersion.version == (version or agent.current_version),
        )
    ).first()
    if row is None:
        raise NotFound(f"Version {version} not found.")
    return row


def current_blueprints(session: Session, agent_ids: Sequence[str], workspace_id: str) -> dict[str, BlueprintVersion]:
    """The current blueprint versions of the workspace's (not deleted) agents among ``agent_ids``, by agent id."""
    rows = session.exec(
        select(BlueprintVersion)
        .join(Agent, col(Agent.id) == col(BlueprintVersion.agent_id))
        .where(
            col(Agent.id).in_(list(agent_ids)),
            Agent.workspace_id == workspace_id,
            col(Agent.deleted_at).is_(None),
            BlueprintVersion.version == Agent.current_version,
        )
    ).all()
    return {row.agent_id: row for row in rows}


def validate_delegates(delegates: Sequence[str], *, actor: Actor, agent_id: str | None, session: Session) -> str | None:
    """Why the delegate list is invalid, or None: at most 10, each another (not deleted) agent
    of the actor's workspace, never the agent itself."""
    ids = list(dict.fromkeys(delegates))
    if len(ids) > MAX_DELEGATES:
        return f"At most {MAX_DELEGATES} agents to ask."
    if agent_id is not None and agent_id in ids:
        return "An agent cannot ask itself."
    if not ids:
        return None
    found = current_blueprints(session, ids, actor.workspace_id)
    missing = [a for a in ids if a not in found]
    if missing:
        return "Only other agents of this workspace can be asked."
    return None
