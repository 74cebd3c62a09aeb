"""Sign-in and sign-up with email + password, with inline errors."""

from __future__ import annotations

import asyncio
import time
from typing import Any

import reflex as rx

from backend.accounts import twofactor
from backend.accounts.actor import Actor
from backend.accounts.service import AuthError, issue_login_ticket, open_session, sign_in, sign_out, sign_up
from backend.db import session_scope
from backend.models import User
from backend.security.throttle import get_signin_throttle
from dashboard.shell.auth import run_password_work, session_handoff
from dashboard.shell.forms import banner, text_field
from dashboard.shell.sso import configured, message, provider_links


def _sign_in_ticket(email: str, password: str, ip: str | None) -> tuple[str, str, bool]:
    """Check the credentials (Argon2, in a worker thread).

    Returns:
        ``(ticket, "", needs_setup)`` when signed in (``needs_setup``: the workspace requires
        two-factor sign-in and the user has not set it up), or ``("", user_id, False)`` when the
        user must still give a two-factor code (no session is opened until then).
    """
    with session_scope() as session:
        user, token = sign_in(email=email, password=password, ip=ip, session=session)
        if twofactor.is_enabled(user_id=user.id, session=session):
            sign_out(token=token, session=session)
            return "", user.id, False
        setup = twofactor.needs_setup(user_id=user.id, workspace_id=user.workspace_id, session=session)
        return issue_login_ticket(token=token, session=session), "", setup


def _second_factor_ticket(user_id: str, code: str, ip: str | None) -> str:
    """Check a two-factor code of ``user_id`` (who proved the password) and return a login ticket.

    Raises:
        AuthError: wrong, reused or expired code.
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


def _sign_up_ticket(email: str, password: str, ip: str | None) -> str:
    """Create the account (Argon2, in a worker thread) and return a login ticket."""
    with session_scope() as session:
        _, token = sign_up(email=email, password=password, ip=ip, session=session)
        return issue_login_ticket(token=token, session=session)


CODE_WINDOW_S = 300
"""Seconds the code step stays open after the password was right."""
MAX_CODE_TRIES = 5
"""Wrong codes allowed before the password is asked for again."""


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
    code_step: bool = False  # the password was right; a two-factor code is asked for
    code_error: str = ""
    _pending_user_id: str = ""  # backend-only: who proved the password (never sent to the browser)
    _pending_until: float = 0.0
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
        target = self.router.url.query_parameters.get("next", "/agents")
        return (
            target if isinstance(target, str) and target.startswith("/") and not target.startswith("//") else "/agents"
        )

    @rx.event
    async def submit_sign_in(self, form: dict[str, Any]):  # type: ignore[no-untyped-def]
        """Check the credentials; on success the server sets the session cookie and opens ``next``."""
        self._clear()
        email, password = str(form.get("email", "")), str(form.get("password", ""))
        throttle = get_signin_throttle()
        await asyncio.sleep(await asyncio.to_thread(throttle.email_delay_s, email))
        try:
            ticket, pending, setup = await run_password_work(
                _sign_in_ticket, email, password, self.router.session.client_ip or None
            )
        except AuthError as exc:
            self._show(exc)
            return None
        if pending:
            self._pending_user_id, self._pending_until = pending, time.monotonic() + CODE_WINDOW_S
            self._code_attempts, self.code_step = 0, True
            return None
        self.ticket = ticket
        self.next_target = "/account?two_factor=required" if setup else self._next_url()
        return AuthFormState.forget_ticket

    @rx.event
    async def submit_code(self, form: dict[str, Any]):  # type: ignore[no-untyped-def]
        """Check the two-factor (or recovery) code of the user who just proved the password."""
        self.code_error = ""
        if not self._pending_user_id or time.monotonic() > self._pending_until or self._code_attempts >= MAX_CODE_TRIES:
            self._reset_code()
            self.form_error = "Sign in again: the code step timed out or had too many wrong codes."
            return None
        self._code_attempts += 1
        try:
            ticket = await run_password_work(
                _second_factor_ticket,
                self._pending_user_id,
                str(form.get("code", "")),
                self.router.session.client_ip or None,
            )
        except AuthError as exc:
            self.code_error = exc.message
            return None
        self._pending_user_id, self.code_step = "", False
        self.ticket, self.next_target = ticket, self._next_url()
        return AuthFormState.forget_ticket

    def _reset_code(self) -> None:
        self._pending_user_id, self.code_step, self.code_error = "", False, ""

    @rx.event
    def cancel_code(self) -> None:
        """Leave the code step (back to e-mail and password)."""
        self._reset_code()

    @rx.event
    async def submit_sign_up(self, form: dict[str, Any]):  # type: ignore[no-untyped-def]
        """Create the account and its personal workspace, then sign in."""
        self._clear()
        if form.get("password") != form.get("confirm"):
            self.password_error = "The passwords do not match."  # noqa: S105  (a message, not a secret)
            return None
        email, password = str(form.get("email", "")), str(form.get("password", ""))
        try:
            ticket = await run_password_work(_sign_up_ticket, email, password, self.router.session.client_ip or None)
        except AuthError as exc:
            self._show(exc)
            return None
        # A new user arriving from an invitation link goes back to it; others add a connection first.
        has_next = bool(self.router.url.query_parameters.get("next"))
        self.ticket, self.next_target = ticket, self._next_url() if has_next else "/connections"
        return AuthFormState.forget_ticket

    @rx.event(background=True)
    async def forget_ticket(self) -> None:
        """Drop the ticket from state once the page has posted it (it is single-use anyway)."""
        await asyncio.sleep(1.0)
        async with self:
            self.ticket = ""

    @rx.event
    def clear_errors(self) -> None:
        """Clear errors (and any stale ticket) when a form page opens; list the configured
        sign-in providers and say why a provider sign-in came back (``?sso=<code>``)."""
        self._clear()
        self.ticket = ""
        self._reset_code()
        self.sso_providers = configured()
        self.next_target = self._next_url()
        self.form_error = message(self.router.url.query_parameters.get("sso"))


def _card(title: str, form: rx.Component, footer: rx.Component) -> rx.Component:
    return rx.center(
        session_handoff(AuthFormState.ticket, AuthFormState.next_target),
        rx.card(
            rx.vstack(
                rx.hstack(
                    rx.icon("blocks", size=26, color="var(--accent-9)"), rx.heading("Agent Hub", size="6"), spacing="2"
                ),
                rx.heading(title, size="5", as_="h1"),
                form,
                footer,
                spacing="4",
                width="100%",
            ),
            width="min(420px, 92vw)",
            padding="28px",
        ),
        min_height="100vh",
        background="var(--gray-2)",
    )


def signin_page() -> rx.Component:
    """``/signin``: email, password, Sign in."""
    form = rx.form(
        rx.vstack(
            banner(AuthFormState.form_error),
            text_field(
                "Email", "email", type="email", auto_complete="email", required=True, error=AuthFormState.email_error
            ),
            text_field(
                "Password",
                "password",
                type="password",
                auto_complete="current-password",
                required=True,
                error=AuthFormState.password_error,
            ),
            rx.button("Sign in", type="submit", width="100%", size="3"),
            spacing="3",
            width="100%",
        ),
        on_submit=AuthFormState.submit_sign_in,
        width="100%",
    )
    footer = rx.text("New here? ", rx.link("Create an account", href="/signup", underline="always"), size="2")
    others = rx.cond(
        AuthFormState.sso_providers.length() > 0,  # type: ignore[attr-defined]
        rx.vstack(
            rx.text("or", size="2", color="var(--gray-11)", align="center", width="100%"),
            provider_links(AuthFormState.sso_providers, next_path=AuthFormState.next_target),
            spacing="2",
            width="100%",
        ),
        rx.fragment(),
    )
    return _card(
        "Sign in",
        rx.cond(AuthFormState.code_step, _code_form(), rx.vstack(form, others, spacing="3", width="100%")),
        footer,
    )


def _code_form() -> rx.Component:
    return rx.form(
        rx.vstack(
            rx.text("Enter the 6-digit code from your authenticator app, or a recovery code.", size="2"),
            text_field(
                "Two-factor code",
                "code",
                auto_complete="one-time-code",
                required=True,
                error=AuthFormState.code_error,
                input_mode="numeric",
                auto_focus=True,
            ),
            rx.button("Verify", type="submit", width="100%", size="3"),
            rx.button("Back", type="button", variant="ghost", on_click=AuthFormState.cancel_code),
            spacing="3",
            width="100%",
        ),
        on_submit=AuthFormState.submit_code,
        width="100%",
    )


def signup_page() -> rx.Component:
    """``/signup``: email, password (≥ 10 characters), confirmation, Create account."""
    form = rx.form(
        rx.vstack(
            banner(AuthFormState.form_error),
            text_field(
                "Email", "email", type="email", auto_complete="email", required=True, error=AuthFormState.email_error
            ),
            text_field(
                "Password",
                "password",
                type="password",
                auto_complete="new-password",
                required=True,
                error=AuthFormState.password_error,
                hint="At least 10 characters; avoid common passwords.",
            ),
            text_field("Confirm password", "confirm", type="password", auto_complete="new-password", required=True),
            rx.button("Create account", type="submit", width="100%", size="3"),
            spacing="3",
            width="100%",
        ),
        on_submit=AuthFormState.submit_sign_up,
        width="100%",
    )
    footer = rx.text("Already have an account? ", rx.link("Sign in", href="/signin", underline="always"), size="2")
    return _card("Create your account", form, footer)
