"""The Account page's "Two-factor sign-in" card: set up TOTP, see recovery codes once, turn off;
and, for a workspace owner, "Require two-factor sign-in" for every member.

The set-up key is shown once while the card is open (the user types it, or the ``otpauth://``
URI, into an authenticator app); the recovery codes are shown once after the first good code.
"""

from __future__ import annotations

from typing import Any

import reflex as rx

from backend.accounts import twofactor
from backend.accounts.actor import PermissionDenied
from backend.accounts.permissions import WORKSPACE_SECURITY, can
from backend.models import Workspace
from dashboard.shell.auth import signed_in
from dashboard.shell.db import in_session
from dashboard.shell.forms import banner, text_field

__all__ = ["TwoFactorState", "two_factor_card"]


class TwoFactorState(rx.State):
    """What the card shows; the set-up secret lives here only while set-up is under way."""

    enabled: bool = False
    setup_secret: str = ""
    setup_uri: str = ""
    recovery_codes: list[str] = []
    required_here: bool = False
    can_require: bool = False
    asked_to_set_up: bool = False
    error: str = ""
    notice: str = ""
    loading: bool = True

    @rx.event
    async def load(self) -> None:
        """``on_load``: is the factor on, and may this user require it in the workspace."""
        self.loading, self.error, self.notice = True, "", ""
        self.setup_secret = self.setup_uri = ""
        self.recovery_codes = []
        self.asked_to_set_up = self.router.url.query_parameters.get("two_factor") == "required"
        actor = await signed_in(self)

        def read(s: Any) -> tuple[bool, bool, bool]:
            workspace = s.get(Workspace, actor.workspace_id)
            return (
                twofactor.is_enabled(user_id=actor.user_id, session=s),
                bool(workspace and workspace.require_two_factor),
                can(actor, WORKSPACE_SECURITY, s),
            )

        self.enabled, self.required_here, self.can_require = await in_session(read)
        self.loading = False

    @rx.event
    async def start(self) -> None:
        """Make a new set-up key."""
        self.error = ""
        actor = await signed_in(self)
        try:
            key = await in_session(lambda s: twofactor.start_setup(user_id=actor.user_id, session=s))
        except twofactor.TwoFactorError as exc:
            self.error = str(exc)
            return
        self.setup_secret, self.setup_uri = key.secret, key.uri

    @rx.event
    async def confirm(self, form: dict[str, Any]) -> None:
        """Check the first code; on success turn the factor on and show the recovery codes."""
        self.error = ""
        actor = await signed_in(self)
        code = str(form.get("code", ""))
        try:
            codes = await in_session(lambda s: twofactor.confirm_setup(actor=actor, code=code, session=s))
        except twofactor.TwoFactorError as exc:
            self.error = str(exc)
            return
        self.setup_secret = self.setup_uri = ""
        self.recovery_codes, self.enabled, self.asked_to_set_up = codes, True, False
        self.notice = "Two-factor sign-in is on. Keep these recovery codes somewhere safe: they are shown only now."

    @rx.event
    async def turn_off(self, form: dict[str, Any]) -> None:
        """Turn the factor off after a valid code."""
        self.error, self.notice = "", ""
        actor = await signed_in(self)
        code = str(form.get("off_code", ""))
        try:
            await in_session(lambda s: twofactor.disable(actor=actor, code=code, session=s))
        except twofactor.TwoFactorError as exc:
            self.error = str(exc)
            return
        self.enabled, self.recovery_codes, self.notice = False, [], "Two-factor sign-in is off."

    @rx.event
    async def set_required(self, value: bool) -> None:
        """Owner only: require (or stop requiring) the factor of every member of this workspace."""
        self.error, self.notice = "", ""
        actor = await signed_in(self)
        try:
            await in_session(lambda s: twofactor.set_required(actor=actor, required=value, session=s))
        except PermissionDenied as exc:
            self.error = str(exc)
            return
        self.required_here = value
        self.notice = "Members must now use two-factor sign-in." if value else "Two-factor sign-in is optional."


def _code_form(label: str, button: str, handler: Any, form_id: str) -> rx.Component:
    return rx.form(
        rx.hstack(
            text_field(label, form_id, auto_complete="one-time-code", required=True),
            rx.button(button, type="submit"),
            align="end",
            spacing="2",
            width="100%",
        ),
        on_submit=handler,
        reset_on_submit=True,
        width="100%",
    )


def _setup() -> rx.Component:
    return rx.cond(
        TwoFactorState.setup_secret != "",
        rx.vstack(
            rx.text("Add this key to your authenticator app, then enter the code it shows.", size="2"),
            rx.code(TwoFactorState.setup_secret, size="3", aria_label="Set-up key"),
            rx.text(TwoFactorState.setup_uri, size="1", color="var(--gray-11)", word_break="break-all"),
            _code_form("Code from the app", "Turn on", TwoFactorState.confirm, "code"),
            spacing="2",
            width="100%",
            align="start",
        ),
        rx.button("Set up two-factor sign-in", on_click=TwoFactorState.start),
    )


def two_factor_card() -> rx.Component:
    """The card (see the module docstring)."""
    status = rx.cond(
        TwoFactorState.enabled,
        rx.vstack(
            rx.text("Two-factor sign-in is on.", size="2"),
            rx.cond(
                TwoFactorState.recovery_codes.length() > 0,  # type: ignore[attr-defined]
                rx.vstack(
                    rx.text("Recovery codes (each works once):", size="2", weight="medium"),
                    rx.foreach(TwoFactorState.recovery_codes, lambda c: rx.code(c)),
                    spacing="1",
                ),
                rx.fragment(),
            ),
            _code_form("Code to turn it off", "Turn off", TwoFactorState.turn_off, "off_code"),
            spacing="2",
            width="100%",
            align="start",
        ),
        _setup(),
    )
    owner = rx.cond(
        TwoFactorState.can_require,
        rx.hstack(
            rx.switch(
                id="require_two_factor",
                checked=TwoFactorState.required_here,
                on_change=TwoFactorState.set_required,
            ),
            rx.el.label("Require two-factor sign-in for every member of this workspace", html_for="require_two_factor"),
            spacing="2",
            align="center",
        ),
        rx.fragment(),
    )
    return rx.card(
        rx.vstack(
            rx.heading("Two-factor sign-in", size="4", as_="h2"),
            rx.cond(
                TwoFactorState.asked_to_set_up,
                rx.callout(
                    "This workspace requires two-factor sign-in: set it up now.", icon="info", color_scheme="blue"
                ),
                rx.fragment(),
            ),
            banner(TwoFactorState.error),
            banner(TwoFactorState.notice, kind="success"),
            rx.cond(TwoFactorState.loading, rx.spinner(size="2"), status),
            owner,
            spacing="3",
            width="100%",
            align="start",
        ),
        width="100%",
        max_width="520px",
    )
