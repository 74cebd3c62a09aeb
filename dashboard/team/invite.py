"""``/invite/<token>``: what an invitation link offers, and joining with it.

Anyone with the link sees the workspace's name, the invited address and the role. Signed out, the
page offers to create an account, sign in, or continue with a configured sign-in provider (a first
provider sign-in creates the account); all of them come back here (``next=/invite/<token>``, which
the provider round trip keeps server-side). Signed in with the invited address, **Join** adds the
membership and switches this browser to the workspace. The token stays server-side (a backend-only
var) apart from the link itself.
"""

from __future__ import annotations

import asyncio

import reflex as rx

from backend.accounts import invitations
from backend.accounts.invitations import InvitationError
from backend.accounts.workspaces import switch_workspace
from backend.db import session_scope
from dashboard.shell.auth import cookie_token, require_actor
from dashboard.shell.forms import banner
from dashboard.shell.layout import loaded_for_this_visit
from dashboard.shell.sso import configured, provider_links

__all__ = ["InviteState", "invite_page"]


def _accept(token: str, user_id: str, browser_token: str) -> None:
    with session_scope() as s:
        workspace_id = invitations.accept_invitation(token=token, user_id=user_id, session=s)
        switch_workspace(token=browser_token, user_id=user_id, workspace_id=workspace_id, session=s)


def _view(token: str) -> invitations.InvitationView:
    with session_scope() as s:
        return invitations.view_invitation(token=token, session=s)


class InviteState(rx.State):
    """The invitation behind the link, and whether the visitor is signed in."""

    loaded: bool = False
    status: str = ""
    workspace_name: str = ""
    email: str = ""
    role: str = ""
    signed_in: bool = False
    error: str = ""
    back: str = ""  # this page's path, for the sign-in/sign-up links to return to
    sso_providers: dict[str, str] = {}  # configured sign-in providers, {key: name}
    _token: str = ""

    @rx.event
    async def load(self) -> None:
        """``on_load``: read the link's invitation (no sign-in needed)."""
        self.loaded, self.error = False, ""
        self._token = str(self.router.page.params.get("token", "") or "")
        self.back = f"/invite/{self._token}"
        self.sso_providers = configured()
        view = await asyncio.to_thread(_view, self._token)
        self.status, self.workspace_name, self.email, self.role = (
            view.status,
            view.workspace_name,
            view.email,
            view.role,
        )
        self.signed_in = await require_actor(self) is not None
        self.loaded = True

    @rx.event
    async def join(self):  # type: ignore[no-untyped-def]
        """Accept the invitation as the signed-in user and open the workspace."""
        actor = await require_actor(self)
        if actor is None:
            return rx.redirect(f"/signin?next={self.back}")
        try:
            await asyncio.to_thread(_accept, self._token, actor.user_id, cookie_token(self))
        except InvitationError as exc:
            self.error = str(exc)
            return None
        return rx.redirect("/agents")


_STATUS_TEXT = {
    "accepted": "This invitation has already been used.",
    "expired": "This invitation has expired. Ask the person who invited you for a new one.",
    "revoked": "This invitation was withdrawn.",
    "unknown": "This invitation link is not valid.",
}


def _pending() -> rx.Component:
    s = InviteState
    return rx.vstack(
        rx.text(
            "You are invited to join ",
            rx.text.strong(s.workspace_name),
            " as ",
            rx.text.strong(s.role),
            ". The invitation is for ",
            rx.text.strong(s.email),
            ".",
            size="3",
        ),
        banner(s.error),
        rx.cond(
            s.signed_in,
            rx.button("Join " + s.workspace_name, on_click=InviteState.join, size="3"),
            rx.vstack(
                rx.hstack(
                    rx.link(rx.button("Create an account", size="3"), href="/signup?next=" + s.back),
                    rx.link(rx.button("Sign in", size="3", variant="soft"), href="/signin?next=" + s.back),
                    spacing="3",
                ),
                rx.cond(
                    s.sso_providers.length() > 0,  # type: ignore[attr-defined]
                    provider_links(s.sso_providers, next_path=s.back),
                    rx.fragment(),
                ),
                spacing="3",
                width="100%",
            ),
        ),
        spacing="4",
        align="start",
    )


def invite_page() -> rx.Component:
    """``/invite/<token>``: the invitation, with Join (signed in) or Create an account / Sign in."""
    s = InviteState
    body = rx.cond(
        s.status == "pending",
        _pending(),
        rx.callout(
            rx.match(s.status, *[(k, v) for k, v in _STATUS_TEXT.items()], _STATUS_TEXT["unknown"]),
            icon="circle_alert",
            color_scheme="amber",
            role="alert",
        ),
    )
    return rx.center(
        rx.card(
            rx.vstack(
                rx.hstack(rx.icon("blocks", size=26, color="var(--accent-9)"), rx.heading("Agent Hub", size="6")),
                rx.heading("Invitation", size="5", as_="h1"),
                rx.cond(loaded_for_this_visit(s.loaded), body, rx.spinner()),
                spacing="4",
                width="100%",
            ),
            width="100%",
            max_width="520px",
        ),
        min_height="100vh",
        padding="16px",
    )
