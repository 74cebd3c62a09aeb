"""The sign-in forms' work in a worker thread: check credentials or a code, open the session,
and hand it over as a single-use login ticket (``backend.accounts.service.issue_login_ticket``).

No Reflex here: ``dashboard.auth.state`` calls these through ``run_password_work`` (Argon2) or
``asyncio.to_thread``.
"""

from __future__ import annotations

from backend.accounts import oidc_flows, twofactor
from backend.accounts.actor import Actor
from backend.accounts.service import AuthError, issue_login_ticket, open_session, sign_in, sign_out, sign_up
from backend.db import session_scope
from backend.models import User
from backend.security.throttle import get_signin_throttle


def sign_in_ticket(email: str, password: str, ip: str | None) -> tuple[str, str, bool]:
    """Check the credentials (Argon2, in a worker thread).

    Returns:
        ``(ticket, "", needs_setup)`` when signed in (``needs_setup``: the workspace requires
        two-factor sign-in and the user has not set it up), or ``("", user_id, False)`` when the
        user must still give a two-factor code (no session is opened until then).

    Raises:
        AuthError: wrong e-mail or password, or throttled.
    """
    with session_scope() as session:
        user, token = sign_in(email=email, password=password, ip=ip, session=session)
        if twofactor.is_enabled(user_id=user.id, session=session):
            sign_out(token=token, session=session)
            return "", user.id, False
        setup = twofactor.needs_setup(user_id=user.id, workspace_id=user.workspace_id, session=session)
        return issue_login_ticket(token=token, session=session), "", setup


def second_factor_ticket(user_id: str, code: str, ip: str | None) -> str:
    """Check a two-factor (or recovery) code of ``user_id``, who proved the password or a
    provider sign-in, and return a login ticket; the session exists only if the code is right.

    Raises:
        AuthError: wrong, reused or expired code (recorded as a failed sign-in for the throttle).
    """
    with session_scope() as session:
        user = session.get(User, user_id)
        if user is None:
            raise AuthError("Your account no longer exists.", None)
        public, token = open_session(user=user, session=session)
        actor = Actor(user_id=user.id, workspace_id=public.workspace_id)
        if not twofactor.verify(user_id=user_id, code=code, session=session, actor=actor):
            get_signin_throttle().record_failure(user.email, ip)
            raise AuthError("That code is not right, or was already used. Enter the next code.", "code")
        return issue_login_ticket(token=token, session=session)


def sign_up_ticket(email: str, password: str, ip: str | None) -> str:
    """Create the account (Argon2, in a worker thread) and return a login ticket.

    Raises:
        AuthError: e-mail taken or malformed, weak password, or throttled.
    """
    with session_scope() as session:
        _, token = sign_up(email=email, password=password, ip=ip, session=session)
        return issue_login_ticket(token=token, session=session)


def take_pending_code(handle: str) -> oidc_flows.PendingCode | None:
    """The provider sign-in waiting for its two-factor code behind the browser's cookie
    ``handle`` (taken once), or ``None``."""
    with session_scope() as session:
        return oidc_flows.take_pending_code(handle, session=session)
