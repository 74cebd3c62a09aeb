"""Sign-in sessions: the browser keeps a random token, the database only its SHA-256 hash."""

from __future__ import annotations

import hashlib
import secrets
from datetime import timedelta

from sqlmodel import Session, select

from backend.models import AuthSession
from backend.models.common import utcnow

TOKEN_BYTES = 32


def hash_token(token: str) -> str:
    """Return the hex SHA-256 of a session token (64 characters)."""
    return hashlib.sha256(token.encode("utf-8")).hexdigest()


def create_session(*, user_id: str, ttl: timedelta, session: Session) -> str:
    """Open a session for ``user_id`` that expires after ``ttl``.

    Returns:
        The plaintext token (43 URL-safe characters) for the browser; only its hash is stored.
    """
    token = secrets.token_urlsafe(TOKEN_BYTES)
    session.add(AuthSession(token_hash=hash_token(token), user_id=user_id, expires_at=utcnow() + ttl))
    session.flush()
    return token


def user_id_for_token(*, token: str, session: Session) -> str | None:
    """Return the user id of a live (unexpired, unrevoked) session token, else ``None``."""
    if not token:
        return None
    row = session.exec(select(AuthSession).where(AuthSession.token_hash == hash_token(token))).first()
    if row is None or row.revoked_at is not None or row.expires_at <= utcnow():
        return None
    return row.user_id


def revoke_session(*, token: str, session: Session) -> None:
    """Revoke the session of ``token`` (sign out). Unknown tokens are ignored."""
    row = session.exec(select(AuthSession).where(AuthSession.token_hash == hash_token(token))).first()
    if row is not None and row.revoked_at is None:
        row.revoked_at = utcnow()
        session.add(row)
