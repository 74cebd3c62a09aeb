"""Sign-up, sign-in, sign-out, sign-out everywhere and password change with email + password.

Passwords are hashed with argon2id (``backend.security.passwords``); sessions are stored as
token hashes (``backend.security.sessions``); failed sign-ins are throttled per (email, IP)
pair and per IP, sign-ups per IP and email (``backend.security.throttle``).

Every function here hashes or verifies a password or touches the database: call them from a
thread (``asyncio.to_thread``), never on an event loop.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta

from sqlalchemy.exc import IntegrityError
from sqlmodel import Session, col, select

from backend.accounts.permissions import normalize_role
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


def _public(user: User, workspace: Workspace, role: str = "owner") -> UserPublic:
    return UserPublic(id=user.id, email=user.email, workspace_id=workspace.id, workspace_name=workspace.name, role=role)


def _ttl() -> timedelta:
    return timedelta(hours=get_settings().session_ttl_hours)


_TAKEN = "An account with this email already exists. Sign in instead."


def sign_up(
    *,
    email: str,
    password: str,
    session: Session,
    ip: str | None = None,
    throttle: SignInThrottle | None = None,
) -> tuple[UserPublic, str]:
    """Create a user, their personal workspace and a session.

    Args:
        ip: the client's address, for the per-IP sign-up throttle (20 an hour by default).
        throttle: defaults to the process-wide one.

    Returns:
        ``(user, token)``: the public user and the plaintext session token (hand it to the
        browser only through a login ticket, see :func:`issue_login_ticket`).

    Raises:
        AuthError: malformed email, weak or common password, duplicate email (sign-up signs
            the user in, so it must say so; the per-IP throttle bounds how fast anyone can
            probe addresses this way) or too many attempts.
    """
    throttle = throttle or get_signin_throttle()
    email = passwords.normalize_email(email)
    if (problem := passwords.validate_email(email)) is not None:
        raise AuthError(problem, "email")
    if (wait := throttle.signup_retry_after(email, ip)) is not None:
        raise AuthError(f"Too many sign-up attempts. Try again in {wait} s.", None)
    throttle.record_signup(email, ip)
    if (problem := passwords.validate_password(password, [email])) is not None:
        raise AuthError(problem, "password")
    if session.exec(select(User).where(User.email == email)).first() is not None:
        raise AuthError(_TAKEN, "email")
    user, workspace = create_account(email=email, password_hash=passwords.hash_password(password), session=session)
    token = sessions.create_session(user_id=user.id, ttl=_ttl(), session=session, workspace_id=workspace.id)
    return _public(user, workspace), token


def create_account(*, email: str, password_hash: str, session: Session) -> tuple[User, Workspace]:
    """Insert a user, their personal workspace and their owner membership.

    Args:
        password_hash: an argon2 hash, or ``""`` for an account that signs in only through a
            provider (``backend.accounts.identities``): no password then matches.

    Raises:
        AuthError: the email is taken (also when a concurrent sign-up wins the race).
    """
    user = User(email=email, password_hash=password_hash)
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
        raise AuthError(_TAKEN, "email") from exc
    return user, workspace


def open_session(*, user: User, session: Session) -> tuple[UserPublic, str]:
    """Open a session for ``user`` (already authenticated by the caller) in their first workspace.

    Returns:
        ``(user, token)`` as for :func:`sign_up`.

    Raises:
        AuthError: the user has no workspace left.
    """
    workspace = _personal_workspace(user.id, session)
    token = sessions.create_session(user_id=user.id, ttl=_ttl(), session=session, workspace_id=workspace.id)
    role = session.get(Membership, (workspace.id, user.id))
    return _public(user, workspace, normalize_role(role.role if role else "owner")), token


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
        ip: the client's address, for the per-(email, IP) and per-IP throttles.
        throttle: defaults to the process-wide one (5 failures a minute per email and IP pair,
            20 per IP). Await ``throttle.email_delay_s(email)`` before calling (progressive delay).

    Returns:
        ``(user, token)`` as for :func:`sign_up`.

    Raises:
        AuthError: wrong email/password (one message and the same time for both: an unknown
            email is checked against a dummy hash, so accounts cannot be probed) or too many
            failed attempts ("Try again in N s").
    """
    throttle = throttle or get_signin_throttle()
    email = passwords.normalize_email(email)
    if (wait := throttle.retry_after(email, ip)) is not None:
        raise AuthError(f"Too many failed sign-in attempts. Try again in {wait} s.", None)
    user = session.exec(select(User).where(User.email == email)).first()
    if user is None:
        passwords.verify_dummy(password)
    if user is None or not passwords.verify_password(user.password_hash, password):
        throttle.record_failure(email, ip)
        raise AuthError("Wrong email or password.", None)
    if passwords.needs_rehash(user.password_hash):
        user.password_hash = passwords.hash_password(password)
        session.add(user)
    return open_session(user=user, session=session)


def sign_out(*, token: str, session: Session) -> None:
    """End the session of ``token``."""
    sessions.revoke_session(token=token, session=session)


def sign_out_everywhere(*, user_id: str, session: Session) -> int:
    """End every session of ``user_id``, this browser's included. Returns how many ended."""
    return sessions.revoke_user_sessions(user_id=user_id, session=session)


def change_password(
    *,
    user_id: str,
    current: str,
    new: str,
    keep_token: str,
    ip: str | None,
    session: Session,
    throttle: SignInThrottle | None = None,
) -> None:
    """Replace the password after checking the current one; every other session ends.

    Args:
        keep_token: the session of the browser making the change, which stays signed in.
        ip: the client's address; wrong current passwords count as failed sign-ins.

    Raises:
        AuthError: wrong current password (field ``current``), weak or common new password
            (field ``new``) or too many failed attempts.
    """
    throttle = throttle or get_signin_throttle()
    user = session.get(User, user_id)
    if user is None:
        raise AuthError("Your account no longer exists.", None)
    if (wait := throttle.retry_after(user.email, ip)) is not None:
        raise AuthError(f"Too many failed attempts. Try again in {wait} s.", None)
    if not passwords.verify_password(user.password_hash, current):
        throttle.record_failure(user.email, ip)
        raise AuthError("The current password is not correct.", "current")
    if (problem := passwords.validate_password(new, [user.email])) is not None:
        raise AuthError(problem, "new")
    user.password_hash = passwords.hash_password(new)
    session.add(user)
    sessions.revoke_user_sessions(user_id=user.id, session=session, keep_token=keep_token)


def issue_login_ticket(*, token: str, session: Session) -> str:
    """A single-use, 60-second ticket that hands the session of ``token`` to the browser.

    Raises:
        LookupError: ``token`` is not a live session.
    """
    return sessions.issue_ticket(token=token, session=session)


def redeem_login_ticket(*, ticket: str, session: Session) -> str | None:
    """Redeem a ticket once; returns the session's new token for the cookie, or ``None``."""
    return sessions.redeem_ticket(ticket=ticket, session=session)


def user_for_token(*, token: str, session: Session) -> UserPublic | None:
    """The signed-in user behind a browser token, in the session's current workspace, with their
    role there; ``None`` if the token is missing, expired or revoked, or the user is no longer a
    member of the session's workspace (removed, or the workspace was deleted)."""
    row = sessions.live_session(token=token, session=session)
    if row is None:
        return None
    user = session.get(User, row.user_id)
    if user is None:
        return None
    if row.workspace_id is None:
        workspace = _personal_workspace(user.id, session)
    else:
        found = session.get(Workspace, row.workspace_id)
        if found is None or found.deleted_at is not None:
            return None
        workspace = found
    membership = session.get(Membership, (workspace.id, user.id))
    if membership is None:
        return None
    return _public(user, workspace, normalize_role(membership.role))


def _personal_workspace(user_id: str, session: Session) -> Workspace:
    row = session.exec(
        select(Workspace)
        .join(Membership, col(Membership.workspace_id) == col(Workspace.id))
        .where(Membership.user_id == user_id, col(Workspace.deleted_at).is_(None))
        .order_by(col(Workspace.personal).desc(), col(Workspace.created_at))
    ).first()
    if row is None:
        raise AuthError("Your account has no workspace.", None)
    return row
