"""Account page (``/account``): change password, two-factor sign-in, sign-in providers, sign out everywhere.

Both actions end sessions: a password change ends every *other* session (a thief's cookie
stops working, this browser stays signed in); "Sign out everywhere" posts to
``/api/auth/signout`` with ``scope=everywhere``, which ends all of them, this one included,
and clears this browser's cookie.
"""

from __future__ import annotations

from typing import Any

import reflex as rx

from backend.accounts.service import AuthError, change_password
from backend.db import session_scope
from dashboard.account.identities import IdentitiesState, identities_card
from dashboard.account.two_factor import TwoFactorState, two_factor_card
from dashboard.shell.auth import AuthState, cookie_token, run_password_work, sign_out_form, signed_in
from dashboard.shell.forms import banner, text_field
from dashboard.shell.layout import page

__all__ = ["AccountState", "account_page"]


def _change(user_id: str, current: str, new: str, keep_token: str, ip: str | None) -> None:
    with session_scope() as session:
        change_password(user_id=user_id, current=current, new=new, keep_token=keep_token, ip=ip, session=session)


class AccountState(rx.State):
    """Errors and notices of the account page (passwords are never kept in state)."""

    current_error: str = ""
    new_error: str = ""
    form_error: str = ""
    notice: str = ""
    form_key: int = 0  # bumped to re-mount (empty) the password form after a change

    def _clear(self) -> None:
        self.current_error = self.new_error = self.form_error = self.notice = ""

    @rx.event
    def load(self):  # type: ignore[no-untyped-def]
        """``on_load``: start with a clean form; load the sign-in providers card."""
        self._clear()
        return [IdentitiesState.load, TwoFactorState.load]

    @rx.event
    async def submit_password(self, form: dict[str, Any]):  # type: ignore[no-untyped-def]
        """Check the current password, store the new one and end every other session."""
        self._clear()
        actor = await signed_in(self)
        new = str(form.get("new_password", ""))
        if new != form.get("confirm_password"):
            self.new_error = "The new passwords do not match."
            return None
        try:
            await run_password_work(
                _change,
                actor.user_id,
                str(form.get("current_password", "")),
                new,
                cookie_token(self),
                self.router.session.client_ip or None,
            )
        except AuthError as exc:
            if exc.field == "current":
                self.current_error = exc.message
            elif exc.field == "new":
                self.new_error = exc.message
            else:
                self.form_error = exc.message
            return None
        self.form_key += 1
        self.notice = "Password changed. Every other browser and device has been signed out."
        return None


def _password_card() -> rx.Component:
    form = rx.form(
        rx.vstack(
            banner(AccountState.form_error),
            text_field(
                "Current password",
                "current_password",
                type="password",
                auto_complete="current-password",
                required=True,
                error=AccountState.current_error,
            ),
            text_field(
                "New password",
                "new_password",
                type="password",
                auto_complete="new-password",
                required=True,
                error=AccountState.new_error,
                hint="At least 10 characters; avoid common passwords.",
            ),
            text_field(
                "Confirm new password", "confirm_password", type="password", auto_complete="new-password", required=True
            ),
            rx.button("Change password", type="submit"),
            spacing="3",
            width="100%",
            align="start",
        ),
        on_submit=AccountState.submit_password,
        reset_on_submit=False,
        key=AccountState.form_key,
        width="100%",
    )
    return rx.card(
        rx.vstack(rx.heading("Change password", size="4", as_="h2"), form, spacing="3", width="100%"),
        width="100%",
        max_width="520px",
    )


def _sessions_card() -> rx.Component:
    return rx.card(
        rx.vstack(
            rx.heading("Sessions", size="4", as_="h2"),
            rx.text(
                "Signed in on a shared or lost device? End every session of your account, this one included.",
                size="2",
                color="var(--gray-11)",
            ),
            sign_out_form("Sign out everywhere", everywhere=True, color_scheme="red", variant="soft", width="auto"),
            spacing="3",
            width="100%",
            align="start",
        ),
        width="100%",
        max_width="520px",
    )


def account_page() -> rx.Component:
    """``/account``: the signed-in user's email, password change and sign-out everywhere."""
    return page(
        "Account",
        rx.text("Signed in as ", rx.text.strong(AuthState.user_email), size="2", color="var(--gray-11)"),
        banner(AccountState.notice, kind="success"),
        _password_card(),
        two_factor_card(),
        identities_card(),
        _sessions_card(),
    )
