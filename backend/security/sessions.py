"""Sign-in sessions: the browser keeps a random token, the database only its SHA-256 hash.

A session ends at the first of: sign-out (``revoked_at``), the absolute cap ``expires_at``
(``session_ttl_hours`` after sign-in) or ``session_idle_hours`` without use. Each use renews
the idle clock, written at most once a minute (OWASP Session Management Cheat Sheet: idle
and absolute timeouts, renewal on activity).

The token reaches the browser only as an HttpOnly cookie set by ``POST /api/auth/session``:
the sign-in form (a websocket event) gets a single-use login ticket valid for
``TICKET_TTL`` instead; redeeming it rotates the session's token, so the token the form
handler saw is never usable.
"""

from __future__ import annotations

import hashlib
import secrets
from datetime import timedelta

from sqlalchemy import update
from sqlmodel import Session, col, select

from backend.config import get_settings
from backend.models import AuthSession, LoginTicket
from backend.models.common import utcnow

SESSION_COOKIE = "agenthub_session"
TOKEN_BYTES = 32
TICKET_TTL = timedelta(seconds=60)
RENEW_EVERY = timedelta(minutes=1)


def hash_token(token: str) -> str:
    """Return the hex SHA-256 of a session token or ticket (64 characters)."""
    return hashlib.sha256(token.encode("utf-8")).hexdigest()


def session_token_from_cookie_header(header: str) -> str:
    """The session token in a ``Cookie`` request header, or ``""``.

    Args:
        header: the raw ``Cookie`` header (``"a=1; agenthub_session=..."``, RFC 6265 5.4).
            Parsed by hand: ``http.cookies`` gives up on the whole header at one odd cookie.
    """
    return cookie_from_header(header, SESSION_COOKIE)


def cookie_from_header(header: str, cookie: str) -> str:
    """The value of cookie ``cookie`` in a raw ``Cookie`` request header, or ``""`` (parsed as
    :func:`session_token_from_cookie_header`)."""
    for part in (header or "").split(";"):
        name, sep, value = part.strip().partition("=")
        if sep and name == cookie:
            return value.strip().strip('"')
    return ""


def create_session(*, user_id: str, ttl: timedelta, session: Session, workspace_id: str | None = None) -> str:
    """Open a session for ``user_id`` that ends after ``ttl`` at the latest, working in
    ``workspace_id`` (``None``: the user's first workspace).

    Returns:
        The plaintext token (43 URL-safe characters); only its hash is stored.
    """
    token = secrets.token_urlsafe(TOKEN_BYTES)
    now = utcnow()
    session.add(
        AuthSession(
            token_hash=hash_token(token),
            user_id=user_id,
            expires_at=now + ttl,
            last_seen_at=now,
            workspace_id=workspace_id,
        )
    )
    session.flush()
    return token


def _live_row(token: str, session: Session, idle: timedelta) -> AuthSession | None:
    if not token:
        return None
    row = session.exec(select(AuthSession).where(AuthSession.token_hash == hash_token(token))).first()
    now = utcnow()
    if row is None or row.revoked_at is not None or row.expires_at <= now:
        return None
    if (row.last_seen_at or row.created_at) + idle <= now:
        return None
    return row


def live_session(*, token: str, session: Session, idle: timedelta | None = None) -> AuthSession | None:
    """Return the live session row of ``token`` (renewing its idle clock), else ``None``.

    Args:
        idle: idle timeout; defaults to ``settings.session_idle_hours``.

    The renewal (``last_seen_at``) is written at most once per ``RENEW_EVERY`` (1 minute).
    ``row.workspace_id`` is the browser's current workspace (``None``: the user's first).
    """
    idle = idle if idle is not None else timedelta(hours=get_settings().session_idle_hours)
    row = _live_row(token, session, idle)
    if row is None:
        return None
    now = utcnow()
    if row.last_seen_at is None or now - row.last_seen_at >= RENEW_EVERY:
        row.last_seen_at = now
        session.add(row)
    return row


def user_id_for_token(*, token: str, session: Session, idle: timedelta | None = None) -> str | None:
    """Return the user id of a live session token and renew its idle clock, else ``None``."""
    row = live_session(token=token, session=session, idle=idle)
    return row.user_id if row is not None else None


def set_session_workspace(*, token: str, workspace_id: str, session: Session) -> bool:
    """Make ``workspace_id`` the current workspace of the live session of ``token``.

    The caller checks membership first. Returns False when the session is not live.
    """
    row = live_session(token=token, session=session)
    if row is None:
        return False
    row.workspace_id = workspace_id
    session.add(row)
    session.flush()
    return True


def revoke_workspace_sessions(*, user_id: str, workspace_id: str, session: Session) -> int:
    """Revoke every live session of ``user_id`` whose current workspace is ``workspace_id``
    (the member was removed: those browsers are signed out at their next event). Returns how many."""
    stmt = update(AuthSession).where(
        col(AuthSession.user_id) == user_id,
        col(AuthSession.workspace_id) == workspace_id,
        col(AuthSession.revoked_at).is_(None),
    )
    result = session.execute(stmt.values(revoked_at=utcnow()))
    return int(result.rowcount or 0)  # type: ignore[attr-defined]


def revoke_session(*, token: str, session: Session) -> None:
    """Revoke the session of ``token`` (sign out). Unknown tokens are ignored."""
    row = session.exec(select(AuthSession).where(AuthSession.token_hash == hash_token(token))).first()
    if row is not None and row.revoked_at is None:
        row.revoked_at = utcnow()
        session.add(row)


def revoke_user_sessions(*, user_id: str, session: Session, keep_token: str | None = None) -> int:
    """Revoke every live session of ``user_id`` ("sign out everywhere"), except ``keep_token``'s.

    Returns:
        The number of sessions revoked.
    """
    stmt = update(AuthSession).where(col(AuthSession.user_id) == user_id, col(AuthSession.revoked_at).is_(None))
    if keep_token:
        stmt = stmt.where(col(AuthSession.token_hash) != hash_token(keep_token))
    result = session.execute(stmt.values(revoked_at=utcnow()))
    return int(result.rowcount or 0)  # type: ignore[attr-defined]


def issue_ticket(*, token: str, session: Session) -> str:
    """Issue a single-use login ticket for the live session of ``token``.

    Returns:
        The plaintext ticket (43 URL-safe characters), valid for ``TICKET_TTL`` (60 s).

    Raises:
        LookupError: ``token`` is not a live session.
    """
    row = session.exec(select(AuthSession).where(AuthSession.token_hash == hash_token(token))).first()
    if row is None or row.revoked_at is not None:
        raise LookupError("no such session")
    ticket = secrets.token_urlsafe(TOKEN_BYTES)
    session.add(LoginTicket(ticket_hash=hash_token(ticket), auth_session_id=row.id, expires_at=utcnow() + TICKET_TTL))
    session.flush()
    return ticket


def redeem_ticket(*, ticket: str, session: Session) -> str | None:
    """Redeem a login ticket once: rotate its session's token and return the new one.

    Returns:
        The new plaintext session token for the cookie, or ``None`` when the ticket is
        unknown, used, expired or its session is no longer live.
    """
    if not ticket or len(ticket) > 128:
        return None
    row = session.exec(select(LoginTicket).where(LoginTicket.ticket_hash == hash_token(ticket))).first()
    now = utcnow()
    if row is None or row.used_at is not None or row.expires_at <= now:
        return None
    claimed = session.execute(
        update(LoginTicket).where(col(LoginTicket.id) == row.id, col(LoginTicket.used_at).is_(None)).values(used_at=now)
    )
    if not claimed.rowcount:  # type: ignore[attr-defined]  # a concurrent redeem won
        return None
    auth = session.get(AuthSession, row.auth_session_id)
    if auth is None or auth.revoked_at is not None or auth.expires_at <= now:
        return None
    token = secrets.token_urlsafe(TOKEN_BYTES)
    auth.token_hash, auth.last_seen_at = hash_token(token), now
    session.add(auth)
    session.flush()
    return token
