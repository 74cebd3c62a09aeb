"""In-app notifications (the bell) and the built-in tool ``send_notification``.

A notification goes to the user the agent runs for, in that workspace. When SMTP is configured
(``AGENTHUB_SMTP_HOST`` and ``AGENTHUB_SMTP_SENDER``, see ``backend.config.Settings``) and the
model asks for it, a copy is e-mailed to the user's address with :mod:`smtplib`.
"""

from __future__ import annotations

import logging
import smtplib
from typing import Any

from sqlmodel import Session, col, func, select

from backend.accounts.actor import Actor, NotFound, require_member
from backend.config import get_settings
from backend.db import session_scope
from backend.mail import send_email
from backend.models import User
from backend.models.common import utcnow
from backend.models.tools import Notification, NotificationPublic
from backend.security.redact import redact_secrets
from backend.tools.base import InvalidInput, Tool, ToolContext, object_schema

__all__ = ["list_notifications", "mark_read", "notify", "send_email", "unread_count"]

log = logging.getLogger(__name__)
MAX_TITLE = 200
MAX_BODY = 4000


def _public(row: Notification) -> NotificationPublic:
    return NotificationPublic.model_validate(row, from_attributes=True)


def notify(
    *, actor: Actor, title: str, body: str = "", agent_id: str | None = None, session: Session
) -> NotificationPublic:
    """Add an unread notification for the actor (in the actor's workspace).

    Raises:
        InvalidInput: ``title`` empty or over 200 characters, ``body`` over 4,000.
        PermissionDenied: the actor is not a member of the workspace.
    """
    require_member(actor, session)
    errors: dict[str, str] = {}
    title = title.strip()
    if not title:
        errors["title"] = "Give the notification a title."
    elif len(title) > MAX_TITLE:
        errors["title"] = f"Titles are at most {MAX_TITLE} characters."
    if len(body) > MAX_BODY:
        errors["body"] = f"Messages are at most {MAX_BODY:,} characters."
    if errors:
        raise InvalidInput(errors)
    row = Notification(
        workspace_id=actor.workspace_id, user_id=actor.user_id, title=title, body=body.strip(), agent_id=agent_id
    )
    session.add(row)
    session.flush()
    return _public(row)


def _mine(actor: Actor) -> Any:
    return (Notification.workspace_id == actor.workspace_id) & (Notification.user_id == actor.user_id)


def list_notifications(
    *, actor: Actor, unread_only: bool = False, limit: int = 50, session: Session
) -> list[NotificationPublic]:
    """The actor's own notifications in this workspace, newest first (at most ``limit``, <= 200)."""
    require_member(actor, session)
    query = select(Notification).where(_mine(actor))
    if unread_only:
        query = query.where(col(Notification.read_at).is_(None))
    rows = session.exec(
        query.order_by(col(Notification.created_at).desc(), col(Notification.id)).limit(max(1, min(limit, 200)))
    ).all()
    return [_public(r) for r in rows]


def unread_count(*, actor: Actor, session: Session) -> int:
    """How many of the actor's notifications are unread (the bell's badge)."""
    require_member(actor, session)
    query = select(func.count()).select_from(Notification).where(_mine(actor), col(Notification.read_at).is_(None))
    return int(session.exec(query).one())


def mark_read(*, actor: Actor, notification_id: str | None = None, session: Session) -> int:
    """Mark one notification (or, with None, all of the actor's) as read.

    Returns:
        How many were newly marked.

    Raises:
        NotFound: ``notification_id`` is not one of the actor's notifications.
    """
    require_member(actor, session)
    query = select(Notification).where(_mine(actor), col(Notification.read_at).is_(None))
    if notification_id is not None:
        row = session.get(Notification, notification_id)
        if row is None or row.workspace_id != actor.workspace_id or row.user_id != actor.user_id:
            raise NotFound("Notification not found.")
        query = query.where(Notification.id == notification_id)
    rows = session.exec(query).all()
    now = utcnow()
    for row in rows:
        row.read_at = now
        session.add(row)
    session.flush()
    return len(rows)


def _send(arguments: dict[str, Any], context: ToolContext) -> dict[str, Any]:
    settings = get_settings()
    with session_scope() as session:
        note = notify(
            actor=context.actor,
            title=arguments["title"],
            body=arguments.get("message", ""),
            agent_id=context.agent_id,
            session=session,
        )
        user = session.get(User, context.actor.user_id)
        email = user.email if user else ""
    result: dict[str, Any] = {"notification_id": note.id, "in_app": True, "emailed": False}
    if not arguments.get("email", False):
        return result
    if not settings.smtp_configured or not email:
        result["email_note"] = "E-mail is not configured on this server; the in-app notification was sent."
        return result
    try:
        send_email(to=email, subject=note.title, body=note.body or note.title, settings=settings)
    except (OSError, smtplib.SMTPException) as exc:
        log.warning("Notification e-mail failed: %s", redact_secrets(str(exc)))
        result["email_note"] = "The e-mail could not be sent; the in-app notification was."
        return result
    with session_scope() as session:
        row = session.get(Notification, note.id)
        if row is not None:
            row.emailed = True
            session.add(row)
    result["emailed"] = True
    return result


TOOL = Tool(
    name="send_notification",
    title="Send notification",
    description=(
        "Notify the user in the app's notification bell; with email=true also by e-mail when the "
        "server has e-mail configured."
    ),
    parameters=object_schema(
        {
            "title": {"type": "string", "minLength": 1, "maxLength": MAX_TITLE},
            "message": {"type": "string", "maxLength": MAX_BODY},
            "email": {"type": "boolean", "default": False, "description": "Also send an e-mail."},
        },
        ["title"],
    ),
    handler=_send,
    risk="write",
    summarize=lambda out: "Notified in the app" + (" and by e-mail" if out.get("emailed") else ""),
)
