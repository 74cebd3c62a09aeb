"""The audit trail: who did what and when in a workspace (append-only).

Services call :func:`record` inside the transaction of the action itself, so the event commits or
rolls back with it. There is no update or delete path in code, and a database trigger refuses
UPDATE and DELETE on ``audit_events`` (migration ``0019_teams``). Summaries name things (a
connection's name, a role, an email) and never hold a secret: callers pass no key, token or
password, and :func:`record` masks anything in a summary shaped like one.

Actions recorded (``<target>.<verb>``): ``workspace.created|renamed|deleted``,
``member.invited|joined|role_changed|removed``, ``invitation.revoked``,
``connection.created|updated|deleted``, ``agent.created|version_saved|version_restored|deleted``,
``listing.published|version_published|unlisted``, ``limits.budget_set|budget_deleted|
rate_limit_set|rate_limit_deleted|price_set|price_deleted``; billing and API keys add their own
(``billing.*``, ``api_key.*``).
"""

from __future__ import annotations

import csv
import io
import re
from dataclasses import dataclass
from datetime import datetime

from sqlmodel import Session, col, select

from backend.accounts import permissions
from backend.accounts.actor import Actor
from backend.models import AuditEvent, User

_SECRET_LIKE = re.compile(r"(sk-[A-Za-z0-9_-]{8,}|[A-Za-z0-9_-]{40,})")
MAX_ROWS = 5000
"""Most events one page or CSV export returns (newest first)."""


def record(
    session: Session,
    *,
    actor: Actor,
    action: str,
    target_kind: str = "",
    target_id: str = "",
    summary: str = "",
) -> AuditEvent:
    """Append one audit event for the actor's workspace in the caller's transaction.

    Args:
        action: ``<target>.<verb>``, e.g. ``"member.invited"``.
        summary: a human sentence ("Invited bo@example.com as viewer"); never a secret (words
            shaped like a key or token, ``sk-...`` or 40+ URL-safe characters, become ``[hidden]``).
    """
    summary = _SECRET_LIKE.sub("[hidden]", summary)
    user = session.get(User, actor.user_id)
    event = AuditEvent(
        workspace_id=actor.workspace_id,
        actor_user_id=actor.user_id,
        actor_email=user.email if user else "",
        action=action,
        target_kind=target_kind,
        target_id=target_id,
        summary=summary[:1000],
    )
    session.add(event)
    session.flush()
    return event


@dataclass(frozen=True)
class AuditFilter:
    """What the audit page asks for: an action prefix (``"member"`` or ``"member.invited"``),
    an actor's email (substring, case-insensitive), and a time window (UTC, inclusive start,
    exclusive end)."""

    action: str = ""
    actor_email: str = ""
    since: datetime | None = None
    until: datetime | None = None


def list_events(*, actor: Actor, session: Session, where: AuditFilter | None = None) -> list[AuditEvent]:
    """The workspace's audit events matching ``where``, newest first (at most :data:`MAX_ROWS`).

    Raises:
        PermissionDenied: the actor's role does not allow ``audit.view`` (owners and admins).
    """
    permissions.require(actor, permissions.AUDIT_VIEW, session)
    where = where or AuditFilter()
    query = select(AuditEvent).where(AuditEvent.workspace_id == actor.workspace_id)
    if where.action:
        query = query.where(
            (col(AuditEvent.action) == where.action) | col(AuditEvent.action).startswith(where.action.rstrip(".") + ".")
        )
    if where.actor_email:
        query = query.where(col(AuditEvent.actor_email).contains(where.actor_email.strip().lower()))
    if where.since is not None:
        query = query.where(col(AuditEvent.created_at) >= where.since)
    if where.until is not None:
        query = query.where(col(AuditEvent.created_at) < where.until)
    query = query.order_by(col(AuditEvent.created_at).desc(), col(AuditEvent.id)).limit(MAX_ROWS)
    return list(session.exec(query).all())


CSV_COLUMNS = ("time_utc", "actor", "action", "target_kind", "target_id", "summary")


def events_csv(events: list[AuditEvent]) -> str:
    """The events as CSV text (RFC 4180, header row :data:`CSV_COLUMNS`, times ISO 8601 UTC).

    Cells starting with ``= + - @`` get a leading apostrophe so a spreadsheet never runs them
    as formulas (OWASP "CSV Injection").
    """
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow(CSV_COLUMNS)
    for e in events:
        row = [e.created_at.isoformat(), e.actor_email, e.action, e.target_kind, e.target_id, e.summary]
        writer.writerow(["'" + c if c[:1] in ("=", "+", "-", "@") else c for c in row])
    return out.getvalue()
