"""Sign-in and sign-up pages: e-mail + password with inline errors, "Continue with <provider>",
and the two-factor code step (state: ``dashboard.auth.state``)."""

from __future__ import annotations

import reflex as rx

from dashboard.auth.state import AuthFormState
from dashboard.shell.auth import session_handoff
from dashboard.shell.forms import banner, text_field
from dashboard.shell.sso import provider_links

__all__ = ["AuthFormState", "signin_page", "signup_page"]


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
