"""Auth state shared by every page: the session cookie, the signed-in user, the login guard.

The browser keeps a random session token in a cookie; the database keeps only its hash.
Mutating handlers call :func:`require_actor` to re-check the session on every event, not only
on page load.
"""

from __future__ import annotations

import reflex as rx

from backend.accounts.actor import Actor
from backend.accounts.service import sign_out, user_for_token
from backend.config import get_settings
from backend.db import session_scope

SESSION_COOKIE = "agenthub_session"


class AuthState(rx.State):
    """The signed-in user. ``session_token`` mirrors the browser cookie."""

    session_token: str = rx.Cookie(
        "", name=SESSION_COOKIE, max_age=get_settings().session_ttl_hours * 3600, same_site="lax", path="/"
    )
    user_email: str = ""
    workspace_name: str = ""
    _user_id: str = ""
    _workspace_id: str = ""

    def current_actor(self) -> Actor | None:
        """Validate the cookie against the database; returns the actor or ``None`` (signed out)."""
        if not self.session_token:
            return None
        with session_scope() as session:
            user = user_for_token(token=self.session_token, session=session)
        if user is None:
            self._user_id = self._workspace_id = ""
            return None
        self._user_id, self._workspace_id = user.id, user.workspace_id
        self.user_email, self.workspace_name = user.email, user.workspace_name
        return Actor(user_id=user.id, workspace_id=user.workspace_id)

    @rx.event
    def require_login(self):  # type: ignore[no-untyped-def]
        """``on_load`` guard of every private page: redirect to sign-in when signed out."""
        if self.current_actor() is None:
            self.session_token = ""
            return rx.redirect(f"/signin?next={self.router.url.path}")
        return None

    @rx.event
    def redirect_if_signed_in(self):  # type: ignore[no-untyped-def]
        """``on_load`` of the sign-in/sign-up pages: a signed-in user goes to the dashboard."""
        if self.current_actor() is not None:
            return rx.redirect("/agents")
        return None

    def start_session(self, token: str) -> None:
        """Keep a fresh session token in the cookie and load the user (called by the auth pages)."""
        self.session_token = token
        self.current_actor()

    @rx.event
    def sign_out(self):  # type: ignore[no-untyped-def]
        """End the session in the database and in the browser."""
        if self.session_token:
            with session_scope() as session:
                sign_out(token=self.session_token, session=session)
        self.session_token = ""
        self.user_email = self.workspace_name = ""
        self._user_id = self._workspace_id = ""
        return [rx.remove_cookie(SESSION_COOKIE, {"path": "/"}), rx.redirect("/signin")]


async def require_actor(state: rx.State) -> Actor | None:
    """The acting user for an event handler of any page state, re-validated now.

    Returns ``None`` when the session is gone; the handler should then return
    ``rx.redirect("/signin")`` and change nothing.
    """
    auth = await state.get_state(AuthState)
    return auth.current_actor()
