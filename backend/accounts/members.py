"""Members of a workspace: list them, change a member's role, remove a member (issue 16).

Owners and admins manage members (``members.manage``); only an owner gives or takes away the owner
role, and a workspace always keeps at least one owner. Removing a member signs out, at once, every
browser of theirs working in that workspace. Every change is audited in its own transaction.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import func
from sqlmodel import Session, SQLModel, col, select

from backend.accounts import audit, permissions
from backend.accounts.actor import Actor, NotFound, PermissionDenied
from backend.models import Membership, User
from backend.security import sessions


class MemberPublic(SQLModel):
    """A member as the team page shows it."""

    user_id: str
    email: str
    role: str
    joined_at: datetime


def list_members(*, actor: Actor, session: Session) -> list[MemberPublic]:
    """The workspace's members, owners first, then by email. Raises PermissionDenied (not a member)."""
    permissions.require(actor, permissions.MEMBERS_VIEW, session)
    rows = session.exec(
        select(Membership, User.email)
        .join(User, col(User.id) == col(Membership.user_id))
        .where(Membership.workspace_id == actor.workspace_id)
    ).all()
    members = [
        MemberPublic(user_id=m.user_id, email=e, role=permissions.normalize_role(m.role), joined_at=m.created_at)
        for m, e in rows
    ]
    return sorted(
        members, key=lambda m: (permissions.ROLES.index(m.role) if m.role in permissions.ROLES else 9, m.email)
    )


def _membership(actor: Actor, user_id: str, session: Session) -> tuple[Membership, str]:
    row = session.get(Membership, (actor.workspace_id, user_id))
    if row is None:
        raise NotFound("That person is not a member of this workspace.")
    user = session.get(User, user_id)
    return row, user.email if user else user_id


def _owners(workspace_id: str, session: Session) -> int:
    query = (
        select(func.count())
        .select_from(Membership)
        .where(Membership.workspace_id == workspace_id, Membership.role == permissions.OWNER)
    )
    return int(session.exec(query).one())


_LAST_OWNER = "A workspace needs at least one owner. Make someone else an owner first."


def change_role(*, actor: Actor, user_id: str, role: str, session: Session) -> MemberPublic:
    """Give a member another role; audited as ``member.role_changed``.

    Raises:
        PermissionDenied: the actor may not manage members, or not this change (only owners touch
            the owner role), or it would leave the workspace without an owner.
        NotFound: ``user_id`` is not a member. ValueError: ``role`` is not one of ``ROLES``.
    """
    assigner = permissions.require(actor, permissions.MEMBERS_MANAGE, session)
    if role not in permissions.ROLES:
        raise ValueError(f"Unknown role {role!r}.")
    row, email = _membership(actor, user_id, session)
    old = permissions.normalize_role(row.role)
    if not permissions.can_assign(assigner, old, role):
        raise PermissionDenied("Only an owner can give or take away the owner role.")
    if old == permissions.OWNER and role != permissions.OWNER and _owners(actor.workspace_id, session) <= 1:
        raise PermissionDenied(_LAST_OWNER)
    if old != role:
        row.role = role
        session.add(row)
        audit.record(
            session,
            actor=actor,
            action="member.role_changed",
            target_kind="member",
            target_id=user_id,
            summary=f"Changed {email}'s role from {old} to {role}",
        )
    session.flush()
    return MemberPublic(user_id=user_id, email=email, role=role, joined_at=row.created_at)


def remove_member(*, actor: Actor, user_id: str, session: Session) -> int:
    """Remove a member (or leave, when ``user_id`` is the actor); their browsers working in this
    workspace are signed out at once. Audited as ``member.removed``.

    Returns:
        How many of their sessions ended.

    Raises:
        PermissionDenied: the actor may not manage members (leaving needs no permission), only an
            owner removes an owner, or the last owner would go. NotFound: not a member.
    """
    assigner = permissions.role_of(actor, session)
    row, email = _membership(actor, user_id, session)
    old = permissions.normalize_role(row.role)
    if user_id != actor.user_id:
        permissions.require(actor, permissions.MEMBERS_MANAGE, session)
        if not permissions.can_assign(assigner, old, None):
            raise PermissionDenied("Only an owner can remove an owner.")
    if old == permissions.OWNER and _owners(actor.workspace_id, session) <= 1:
        raise PermissionDenied(_LAST_OWNER)
    audit.record(
        session,
        actor=actor,
        action="member.removed" if user_id != actor.user_id else "member.left",
        target_kind="member",
        target_id=user_id,
        summary=f"Removed {email} ({old})" if user_id != actor.user_id else f"{email} left the workspace",
    )
    session.delete(row)
    ended = sessions.revoke_workspace_sessions(user_id=user_id, workspace_id=actor.workspace_id, session=session)
    session.flush()
    return ended
