"""Permission checks shared by the memory services, and the identity background jobs act as.

(``require_agent``, the actor's workspace's agent, is :func:`backend.blueprints.require_agent`.)
"""

from __future__ import annotations

import hashlib

from sqlmodel import Session

from backend.accounts import permissions
from backend.accounts.actor import Actor, NotFound
from backend.models import Workspace


def require_admin(actor: Actor, session: Session) -> None:
    """Raise ``PermissionDenied`` unless the actor is an owner or admin of the workspace."""
    permissions.require(actor, permissions.LIMITS_MANAGE, session)


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
