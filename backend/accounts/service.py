"""Sign-up, sign-in and sign-out with email + password.

Passwords are hashed with argon2id (``backend.security.passwords``); sessions are stored as
token hashes (``backend.security.sessions``); failed sign-ins are throttled per email and IP.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta

from sqlalchemy.exc import IntegrityError
from sqlmodel import Session, col, select

from backend.config import get_settings
from backend.models import Membership, User, UserPublic, Workspace
from backend.security import passwords, sessions
from backend.security.throttle import SignInThrottle, get_signin_throttle


@dataclass
class AuthError(Exception):
    """A sign-up or sign-in problem to show next to ``field`` (``email``, ``password`` or None)."""

    message: str
    field: str | None = None

    def __str__(self) -> str:
        return self.message


def _public(user: User, workspace: Workspace) -> UserPublic:
    return UserPublic(id=user.id, email=user.email, workspace_id=workspace.id, workspace_name=workspace.name)


def _ttl() -> timedelta:
    return timedelta(hours=get_settings().session_ttl_hours)


def sign_up(*, email: str, password: str, session: Session) -> tuple[UserPublic, str]:
    """Create a user, their personal workspace and a session.

    Returns:
        ``(user, token)``: the public user and the plaintext session token for the browser.

    Raises:
        AuthError: malformed email, weak password (< 10 characters) or duplicate email.
    """
    email = passwords.normalize_email(email)
    if (problem := passwords.validate_email(email)) is not None:
        raise AuthError(problem, "email")
    if (problem := passwords.validate_password(password)) is not None:
        raise AuthError(problem, "password")
    if session.exec(select(User).where(User.email == email)).first() is not None:
        raise AuthError("An account with this email already exists. Sign in instead.", "email")
    user = User(email=email, password_hash=passwords.hash_password(password))
    workspace = Workspace(name=f"{email.split('@')[0]}'s workspace", owner_id=user.id)
    try:
        with session.begin_nested():  # a concurrent sign-up with the same email loses here
            session.add(user)
            session.flush()
            session.add(workspace)
            session.flush()
            session.add(Membership(workspace_id=workspace.id, user_id=user.id, role="owner"))
            session.flush()
    except IntegrityError as exc:
        raise AuthError("An account with this email already exists. Sign in instead.", "email") from exc
    token = sessions.create_session(user_id=user.id, ttl=_ttl(), session=session)
    return _public(user, workspace), token


def sign_in(
    *,
    email: str,
    password: str,
    ip: str | None,
    session: Session,
    throttle: SignInThrottle | None = None,
) -> tuple[UserPublic, str]:
    """Check the password and open a session.

    Args:
        ip: the client's address, for the per-IP throttle.
        throttle: defaults to the process-wide one (5 failures a minute per email and per IP).

    Returns:
        ``(user, token)`` as for :func:`sign_up`.

    Raises:
        AuthError: wrong email/password (one message for both, so accounts cannot be probed)
            or too many failed attempts ("Try again in N s").
    """
    throttle = throttle or get_signin_throttle()
    email = passwords.normalize_email(email)
    if (wait := throttle.retry_after(email, ip)) is not None:
        raise AuthError(f"Too many failed sign-in attempts. Try again in {wait} s.", None)
    user = session.exec(select(User).where(User.email == email)).first()
    if user is None or not passwords.verify_password(user.password_hash, password):
        throttle.record_failure(email, ip)
        raise AuthError("Wrong email or password.", None)
    if passwords.needs_rehash(user.password_hash):
        user.password_hash = passwords.hash_password(password)
        session.add(user)
    workspace = _personal_workspace(user.id, session)
    token = sessions.create_session(user_id=user.id, ttl=_ttl(), session=session)
    return _public(user, workspace), token


def sign_out(*, token: str, session: Session) -> None:
    """End the session of ``token``."""
    sessions.revoke_session(token=token, session=session)


def user_for_token(*, token: str, session: Session) -> UserPublic | None:
    """The signed-in user behind a browser token, or ``None`` if missing, expired or revoked."""
    user_id = sessions.user_id_for_token(token=token, session=session)
    if user_id is None:
        return None
    user = session.get(User, user_id)
    if user is None:
        return None
    return _public(user, _personal_workspace(user.id, session))


def _personal_workspace(user_id: str, session: Session) -> Workspace:
    row = session.exec(
        select(Workspace)
        .join(Membership, col(Membership.workspace_id) == col(Workspace.id))
        .where(Membership.user_id == user_id)
        .order_by(col(Workspace.personal).desc(), col(Workspace.created_at))
    ).first()
    if row is None:
        raise AuthError("Your account has no workspace.", None)
    return row
