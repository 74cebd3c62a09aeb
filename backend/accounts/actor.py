"""Who is asking: every service call that reads or changes tenant data takes an :class:`Actor`."""

from __future__ import annotations

from dataclasses import dataclass

from sqlmodel import Session, select

from backend.models import Membership


class PermissionDenied(Exception):
    """The actor may not do this (not a member of the workspace, or the record is elsewhere)."""


class NotFound(Exception):
    """The record does not exist in the actor's workspace."""


@dataclass(frozen=True)
class Actor:
    """A signed-in user acting in one workspace."""

    user_id: str
    workspace_id: str


def require_member(actor: Actor, session: Session) -> str:
    """Check that ``actor`` belongs to its workspace.

    Returns:
        The member's role.

    Raises:
        PermissionDenied: the user is not a member of the workspace.
    """
    row = session.exec(
        select(Membership).where(Membership.workspace_id == actor.workspace_id, Membership.user_id == actor.user_id)
    ).first()
    if row is None:
        raise PermissionDenied("You are not a member of this workspace.")
    return row.role
