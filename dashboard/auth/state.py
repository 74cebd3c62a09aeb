"""State of the sign-in and sign-up forms, including the two-factor code step.

The code step follows a right password (the user id waits in a backend-only var) or a verified
provider sign-in into an account with two-factor sign-in on (the provider callback leaves the
waiting sign-in server-side, ``backend.accounts.oidc_flows``, and sends the browser to
``/signin?step=code`` with its handle in an HttpOnly cookie, read here from the websocket
handshake). Either way: no session until the code is right, 5 tries, 5 minutes, recovery codes work.
"""

from __future__ import annotations

import asyncio
import time
from typing import Any

import reflex as rx

from backend.accounts.oidc_flows import PENDING_COOKIE
from backend.accounts.service import AuthError
from backend.security.redirects import local_path
from backend.security.sessions import cookie_from_header
from backend.security.throttle import get_signin_throttle
from dashboard.auth.tickets import second_factor_ticket, sign_in_ticket, sign_up_ticket, take_pending_code
from dashboard.shell.auth import run_password_work
from dashboard.shell.sso import configured, message

CODE_WINDOW_S = 300
"""Seconds the code step stays open after the password (or the provider) was right."""
MAX_CODE_TRIES = 5
"""Wrong codes allowed before the password (or the provider sign-in) is asked for again."""


class AuthFormState(rx.State):
    """Errors and progress of the sign-in/sign-up forms (passwords are never kept in state).

    Hashing runs in a small dedicated thread pool (``run_password_work``) so the event loop keeps serving
    every other user; the session reaches the browser only as an HttpOnly cookie, through a
    single-use login ticket posted to ``/api/auth/session``.
    """

    email_error: str = ""
    password_error: str = ""
    form_error: str = ""
    busy: bool = False
    ticket: str = ""  # a single-use 60 s login ticket while the page hands it to the server
    next_target: str = "/agents"
    sso_providers: dict[str, str] = {}  # configured sign-in providers, {key: name}
    code_step: bool = False  # the password (or provider) was right; a two-factor code is asked for
    code_error: str = ""
    _pending_user_id: str = ""  # backend-only: who proved the password or provider (never sent to the browser)
    _pending_until: float = 0.0
    _pending_next: str = ""  # where the sign-in ends once the code is right
    _code_attempts: int = 0

    def _clear(self) -> None:
        self.email_error = self.password_error = self.form_error = ""

    def _show(self, exc: AuthError) -> None:
        if exc.field == "email":
            self.email_error = exc.message
        elif exc.field == "password":
            self.password_error = exc.message
        else:
            self.form_error = exc.message

    def _next_url(self) -> str:
        return local_path(self.router.url.query_parameters.get("next"))

    def _open_code_step(self, user_id: str, next_path: str, seconds: float = CODE_WINDOW_S) -> None:
        self._pending_user_id, self._pending_next = user_id, local_path(next_path)
        self._pending_until = time.monotonic() + min(seconds, CODE_WINDOW_S)
        self._code_attempts, self.code_step, self.code_error = 0, True, ""

    # The three submit handlers are background events: hashing (argon2, 64 MiB) and the database
    # take 0.1-3 s on a busy machine, and an ordinary event would hold this browser's state lock
    # all along (with Redis state, past Reflex's lock expiry the event's result is dropped).

    @rx.event(background=True)
    async def submit_sign_in(self, form: dict[str, Any]):  # type: ignore[no-untyped-def]
        """Check the credentials; on success the server sets the session cookie and opens ``next``."""
        async with self:
            self._clear()
            ip, next_url = self.router.session.client_ip or None, self._next_url()
        email, password = str(form.get("email", "")), str(form.get("password", ""))
        throttle = get_signin_throttle()
        await asyncio.sleep(await asyncio.to_thread(throttle.email_delay_s, email))
        try:
            ticket, pending, setup = await run_password_work(sign_in_ticket, email, password, ip)
        except AuthError as exc:
            async with self:
                self._show(exc)
            return None
        async with self:
            if pending:
                self._open_code_step(pending, next_url)
                return None
            self.ticket = ticket
            self.next_target = "/account?two_factor=required" if setup else next_url
        return AuthFormState.forget_ticket

    @rx.event(background=True)
    async def submit_code(self, form: dict[str, Any]):  # type: ignore[no-untyped-def]
        """Check the two-factor (or recovery) code of the user who just proved the password or provider."""
        async with self:
            self.code_error = ""
            expired = time.monotonic() > self._pending_until or self._code_attempts >= MAX_CODE_TRIES
            if not self._pending_user_id or expired:
                self._reset_code()
                self.form_error = "Sign in again: the code step timed out or had too many wrong codes."
                return None
            self._code_attempts += 1
            user_id, ip = self._pending_user_id, self.router.session.client_ip or None
        try:
            ticket = await run_password_work(second_factor_ticket, user_id, str(form.get("code", "")), ip)
        except AuthError as exc:
            async with self:
                self.code_error = exc.message
            return None
        async with self:
            self.ticket, self.next_target = ticket, self._pending_next or "/agents"
            self._reset_code()
        return AuthFormState.forget_ticket

    def _reset_code(self) -> None:
        self._pending_user_id, self._pending_next, self.code_step, self.code_error = "", "", False, ""

    @rx.event
    def cancel_code(self) -> None:
        """Leave the code step (back to e-mail and password)."""
        self._reset_code()

    @rx.event(background=True)
    async def submit_sign_up(self, form: dict[str, Any]):  # type: ignore[no-untyped-def]
        """Create the account and its personal workspace, then sign in."""
        async with self:
            self._clear()
            if form.get("password") != form.get("confirm"):
                self.password_error = "The passwords do not match."  # noqa: S105  (a message, not a secret)
                return None
            ip, next_url = self.router.session.client_ip or None, self._next_url()
            # A new user arriving from an invitation link goes back to it; others add a connection first.
            target = next_url if self.router.url.query_parameters.get("next") else "/connections"
        email, password = str(form.get("email", "")), str(form.get("password", ""))
        try:
            ticket = await run_password_work(sign_up_ticket, email, password, ip)
        except AuthError as exc:
            async with self:
                self._show(exc)
            return None
        async with self:
            self.ticket, self.next_target = ticket, target
        return AuthFormState.forget_ticket

    @rx.event(background=True)
    async def forget_ticket(self) -> None:
        """Drop the ticket from state once the page has posted it (it is single-use anyway)."""
        await asyncio.sleep(1.0)
        async with self:
            self.ticket = ""

    @rx.event
    async def clear_errors(self) -> None:
        """``on_load`` of the form pages: clear errors (and any stale ticket), list the configured
        sign-in providers, say why a provider sign-in came back (``?sso=<code>``) and, on
        ``?step=code``, open the code step of the provider sign-in waiting behind this browser's cookie."""
        self._clear()
        self.ticket = ""
        self._reset_code()
        self.sso_providers = configured()
        self.next_target = self._next_url()
        self.form_error = message(self.router.url.query_parameters.get("sso"))
        if self.router.url.query_parameters.get("step") == "code":
            handle = cookie_from_header(self.router.headers.cookie, PENDING_COOKIE)
            pending = await asyncio.to_thread(take_pending_code, handle) if handle else None
            if pending is None:
                self.form_error = message("code_step")
            else:
                self._open_code_step(pending.user_id, pending.next_path, pending.seconds_left)
