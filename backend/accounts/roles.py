"""Workspace roles and the checks every service asks (the one place roles are defined)."""

from __future__ import annotations

from sqlmodel import Session

from backend.accounts.actor import Actor, PermissionDenied, require_member

OWNER = "owner"
ADMIN = "admin"
MEMBER = "member"
ROLES = (OWNER, ADMIN, MEMBER)
"""Every role a membership can hold, most powerful first."""

MANAGER_ROLES = (OWNER, ADMIN)
"""Roles that manage the workspace: connections' limits, budgets, prices, knowledge and memory settings."""


def is_manager(actor: Actor, session: Session) -> bool:
    """True if the actor is an owner or admin of its workspace.

    Raises:
        PermissionDenied: the actor is not a member of the workspace.
    """
    return require_member(actor, session) in MANAGER_ROLES


_MANAGERS_ONLY = "Only the workspace's owners and admins may do this."


def require_manager(actor: Actor, session: Session, message: str = _MANAGERS_ONLY) -> None:
    """Raise :class:`PermissionDenied` (with ``message``) unless the actor is an owner or admin."""
    if not is_manager(actor, session):
        raise PermissionDenied(message)
