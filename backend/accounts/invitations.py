"""Invitations to a workspace: by e-mail when SMTP is configured, else a link to copy (issue 16).

An invitation names an email address and a role; its link carries a random token of which only the
SHA-256 is stored. It is usable once, until it expires (``AGENTHUB_INVITATION_TTL_HOURS``, 7 days by
default) or is revoked. The person accepts it signed in with the invited address (an existing
account, or one they create from the link). Invite, accept and revoke are audited.
"""

from __future__ import annotations

import logging
import secrets
import smtplib
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import update
from sqlmodel import Session, SQLModel, col, select

from backend.accounts import audit, permissions
from backend.accounts.actor import Actor, NotFound, PermissionDenied
from backend.config import get_settings
from backend.errors import FieldErrors
from backend.mail import send_email
from backend.models import Invitation, Membership, User, Workspace
from backend.models.common import utcnow
from backend.security import passwords, sessions

log = logging.getLogger(__name__)

INVITE_PATH = "/invite/"
"""The app path of an invitation link; the token follows it."""


class InvitationPublic(SQLModel):
    """A pending invitation as the team page lists it (never the token)."""

    id: str
    email: str
    role: str
    created_at: datetime
    expires_at: datetime
    delivery: str


@dataclass(frozen=True)
class InvitationView:
    """What the invitation page shows to whoever opens a link: ``status`` is ``pending``,
    ``accepted``, ``expired``, ``revoked`` or ``unknown``."""

    status: str
    workspace_name: str = ""
    email: str = ""
    role: str = ""


def _public(row: Invitation) -> InvitationPublic:
    return InvitationPublic(
        id=row.id,
        email=row.email,
        role=row.role,
        created_at=row.created_at,
        expires_at=row.expires_at,
        delivery=row.delivery,
    )


def invite(*, actor: Actor, email: str, role: str, base_url: str, session: Session) -> tuple[InvitationPublic, str]:
    """Invite ``email`` to the actor's workspace as ``role``; audited as ``member.invited``.

    Args:
        base_url: the app's origin for the link (``AGENTHUB_PUBLIC_URL`` wins when set).

    Returns:
        ``(invitation, link)``: the link (with the single-use token) for the inviter to copy; also
        e-mailed by :func:`deliver` when SMTP is configured.

    Raises:
        PermissionDenied: the actor may not manage members, or an admin invites an owner.
        FieldErrors: ``email`` malformed or already a member; ``role`` unknown.
    """
    assigner = permissions.require(actor, permissions.MEMBERS_MANAGE, session)
    email = passwords.normalize_email(email)
    if (problem := passwords.validate_email(email)) is not None:
        raise FieldErrors({"email": problem})
    if role not in permissions.ROLES:
        raise FieldErrors({"role": "Choose a role."})
    if not permissions.can_assign(assigner, None, role):
        raise PermissionDenied("Only an owner can invite another owner.")
    user = session.exec(select(User).where(User.email == email)).first()
    if user is not None and session.get(Membership, (actor.workspace_id, user.id)) is not None:
        raise FieldErrors({"email": "This person is already a member."})
    token = secrets.token_urlsafe(32)
    now = utcnow()
    row = Invitation(
        workspace_id=actor.workspace_id,
        email=email,
        role=role,
        token_hash=sessions.hash_token(token),
        invited_by=actor.user_id,
        created_at=now,
        expires_at=now + timedelta(hours=get_settings().invitation_ttl_hours),
        delivery="email" if get_settings().smtp_configured else "link",
    )
    session.add(row)
    session.flush()
    audit.record(
        session,
        actor=actor,
        action="member.invited",
        target_kind="invitation",
        target_id=row.id,
        summary=f"Invited {email} as {role}",
    )
    origin = (get_settings().public_url or base_url).rstrip("/")
    return _public(row), f"{origin}{INVITE_PATH}{token}"


def deliver(*, invitation: InvitationPublic, link: str, workspace_name: str, inviter_email: str) -> bool:
    """E-mail the invitation link when SMTP is configured (blocking: call from a thread).

    Returns:
        True if sent; False when SMTP is not configured or sending failed (logged without the link;
        the inviter still has the link to copy).
    """
    settings = get_settings()
    if not settings.smtp_configured:
        return False
    body = (
        f"{inviter_email} invited you to the workspace {workspace_name} on Agent Hub as {invitation.role}.\n\n"
        f"Open this link to join (it works once, until {invitation.expires_at:%Y-%m-%d %H:%M} UTC):\n{link}\n"
    )
    try:
        send_email(to=invitation.email, subject=f"Join {workspace_name} on Agent Hub", body=body, settings=settings)
    except (OSError, smtplib.SMTPException) as exc:
        log.warning("Invitation e-mail to %s failed: %s", invitation.email, type(exc).__name__)
        return False
    return True


def list_invitations(*, actor: Actor, session: Session) -> list[InvitationPublic]:
    """Pending (not accepted, revoked or expired) invitations, newest first. Raises PermissionDenied."""
    permissions.require(actor, permissions.MEMBERS_MANAGE, session)
    rows = session.exec(
        select(Invitation)
        .where(
            Invitation.workspace_id == actor.workspace_id,
            col(Invitation.accepted_at).is_(None),
            col(Invitation.revoked_at).is_(None),
            col(Invitation.expires_at) > utcnow(),
        )
        .order_by(col(Invitation.created_at).desc())
    ).all()
    return [_public(r) for r in rows]


def revoke_invitation(*, actor: Actor, invitation_id: str, session: Session) -> None:
    """Revoke a pending invitation (its link stops working); audited. Raises PermissionDenied, NotFound."""
    permissions.require(actor, permissions.MEMBERS_MANAGE, session)
    row = session.get(Invitation, invitation_id)
    if (
        row is None
        or row.workspace_id != actor.workspace_id
        or row.accepted_at is not None
        or row.revoked_at is not None
    ):
        raise NotFound("Invitation not found.")
    row.revoked_at = utcnow()
    session.add(row)
    audit.record(
        session,
        actor=actor,
        action="invitation.revoked",
        target_kind="invitation",
        target_id=row.id,
        summary=f"Revoked the invitation of {row.email} as {row.role}",
    )
    session.flush()


def _by_token(token: str, session: Session) -> Invitation | None:
    if not token or len(token) > 128:
        return None
    return session.exec(select(Invitation).where(Invitation.token_hash == sessions.hash_token(token))).first()


def _status(row: Invitation | None, workspace: Workspace | None) -> str:
    if row is None or workspace is None or workspace.deleted_at is not None:
        return "unknown"
    if row.accepted_at is not None:
        return "accepted"
    if row.revoked_at is not None:
        return "revoked"
    return "expired" if row.expires_at <= utcnow() else "pending"


def view_invitation(*, token: str, session: Session) -> InvitationView:
    """What the link ``token`` invites to (for the invitation page; needs no sign-in)."""
    row = _by_token(token, session)
    workspace = session.get(Workspace, row.workspace_id) if row else None
    status = _status(row, workspace)
    if status == "unknown" or row is None or workspace is None:
        return InvitationView("unknown")
    return InvitationView(status, workspace.name, row.email, row.role)


class InvitationError(Exception):
    """The invitation cannot be accepted (the message says why, for the person holding the link)."""


_UNUSABLE = {
    "unknown": "This invitation link is not valid.",
    "accepted": "This invitation has already been used.",
    "revoked": "This invitation was withdrawn. Ask for a new one.",
    "expired": "This invitation has expired. Ask for a new one.",
}


def accept_invitation(*, token: str, user_id: str, session: Session) -> str:
    """Join the invitation's workspace with its role (once); audited as ``member.joined``.

    Returns:
        The workspace id (the caller switches the browser's session to it).

    Raises:
        InvitationError: unknown, used, revoked or expired link, or signed in with another email.
    """
    row = _by_token(token, session)
    workspace = session.get(Workspace, row.workspace_id) if row else None
    if (status := _status(row, workspace)) != "pending" or row is None:
        raise InvitationError(_UNUSABLE[status])
    user = session.get(User, user_id)
    if user is None or user.email != row.email:
        raise InvitationError(f"This invitation is for {row.email}. Sign in with that address to accept it.")
    claimed = session.execute(
        update(Invitation)
        .where(
            col(Invitation.id) == row.id, col(Invitation.accepted_at).is_(None), col(Invitation.revoked_at).is_(None)
        )
        .values(accepted_at=utcnow(), accepted_by=user_id)
    )
    if not claimed.rowcount:  # type: ignore[attr-defined]  # a concurrent accept won
        raise InvitationError(_UNUSABLE["accepted"])
    if session.get(Membership, (row.workspace_id, user_id)) is None:
        session.add(Membership(workspace_id=row.workspace_id, user_id=user_id, role=row.role))
    audit.record(
        session,
        actor=Actor(user_id, row.workspace_id),
        action="member.joined",
        target_kind="member",
        target_id=user_id,
        summary=f"{user.email} joined as {row.role} (invited)",
    )
    session.flush()
    return row.workspace_id
