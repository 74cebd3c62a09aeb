"""Workspace roles (kept for callers written before issue 16; new code asks ``permissions``).

The roles and what each may do live in :mod:`backend.accounts.permissions`. ``is_manager`` /
``require_manager`` mean "owner or admin" there: they ask the ``limits.manage`` action.
"""

from __future__ import annotations

from sqlmodel import Session

from backend.accounts import permissions
from backend.accounts.actor import Actor
from backend.accounts.permissions import ADMIN, BUILDER, OWNER, ROLES, VIEWER

MEMBER = BUILDER
"""The pre-issue-16 name of the builder role."""

MANAGER_ROLES = (OWNER, ADMIN)
"""Roles that manage the workspace: connections' limits, budgets, prices, knowledge and memory settings."""

__all__ = ["ADMIN", "BUILDER", "MANAGER_ROLES", "MEMBER", "OWNER", "ROLES", "VIEWER", "is_manager", "require_manager"]


def is_manager(actor: Actor, session: Session) -> bool:
    """True if the actor is an owner or admin of its workspace.

    Raises:
        PermissionDenied: the actor is not a member of the workspace.
    """
    return permissions.role_allows(permissions.role_of(actor, session), permissions.LIMITS_MANAGE)


def require_manager(actor: Actor, session: Session, message: str | None = None) -> None:
    """Raise :class:`PermissionDenied` (with ``message``) unless the actor is an owner or admin."""
    permissions.require(
        actor, permissions.LIMITS_MANAGE, session, message or "Only the workspace's owners and admins may do this."
    )
