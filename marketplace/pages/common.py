"""What every marketplace page shares: the frame (the app's sidebar when signed in, a public
header when not), the marketplace's own tabs, the signed-in check that tolerates visitors, and
small view helpers."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import reflex as rx

from backend.accounts.actor import Actor
from dashboard.shell.auth import AuthState, require_actor
from dashboard.shell.layout import page

MUTED = "var(--gray-11)"
TABS = [("Browse", "/marketplace"), ("My agents", "/my-agents"), ("Publisher", "/publisher")]


async def viewer(state: rx.State) -> Actor | None:
    """The signed-in user, re-validated now (off the loop), or ``None`` for a visitor; keeps the
    frame's "signed in" look (``AuthState.user_email``) in step."""
    actor = await require_actor(state)
    if actor is None:
        auth = await state.get_state(AuthState)
        auth.user_email = auth.workspace_name = ""
    return actor


def tabs() -> rx.Component:
    """Links between the marketplace's pages (signed in)."""
    return rx.el.nav(
        rx.hstack(
            *[rx.link(label, href=href, size="2", weight="medium") for label, href in TABS],
            spacing="4",
        ),
        aria_label="Marketplace",
    )


def _public(title: str, body: rx.Component) -> rx.Component:
    header = rx.hstack(
        rx.link(
            rx.hstack(rx.icon("blocks", size=22), rx.heading("Agent Hub", size="5"), spacing="2", align="center"),
            href="/marketplace",
            underline="none",
            color="var(--gray-12)",
        ),
        rx.link("Marketplace", href="/marketplace", size="3"),
        rx.spacer(),
        rx.link(rx.button("Sign in", variant="soft"), href="/signin"),
        rx.link(rx.button("Sign up"), href="/signup"),
        width="100%",
        align="center",
        spacing="4",
        padding="12px 32px",
        border_bottom="1px solid var(--gray-5)",
        background="var(--gray-2)",
    )
    main = rx.el.main(
        rx.vstack(
            rx.heading(title, size="7", as_="h1"),
            body,
            spacing="4",
            width="100%",
            max_width="1100px",
            padding="24px 32px",
        ),
        style={"width": "100%", "display": "flex", "justifyContent": "center"},
    )
    return rx.vstack(header, main, spacing="0", width="100%", min_height="100vh")


def frame(title: Any, body: Callable[[], rx.Component], *, public: bool = False) -> rx.Component:
    """A marketplace page: the app's frame with the marketplace tabs when signed in; for a
    ``public`` page a header with Sign in / Sign up when not. ``body`` builds the content."""
    signed = page(title, tabs(), body())
    if not public:
        return signed
    return rx.cond(AuthState.user_email != "", signed, _public(title, body()))


def loading() -> rx.Component:
    """The loading indicator of a page area."""
    return rx.center(rx.spinner(size="3"), width="100%", padding="48px 0", aria_label="Loading")


def empty(icon: str, title: str, text: str, *action: rx.Component) -> rx.Component:
    """An empty state: an emoji, a heading, a sentence and optional actions."""
    return rx.center(
        rx.vstack(
            rx.text(icon, size="9", aria_hidden="true"),
            rx.heading(title, size="5", as_="h2"),
            rx.text(text, color=MUTED, text_align="center"),
            *action,
            align="center",
            spacing="3",
        ),
        width="100%",
        padding="48px 0",
    )


def status_badge(status: Any) -> rx.Component:
    """``draft`` / ``published`` / ``unlisted`` / ``suspended`` (also ``active``/``canceled``)."""
    color = rx.match(
        status,
        ("published", "green"),
        ("active", "green"),
        ("suspended", "red"),
        ("draft", "gray"),
        ("open", "orange"),
        "amber",
    )
    return rx.badge(status, color_scheme=color, variant="soft")


def confirm(trigger: rx.Component, title: Any, description: str, action: str, on_confirm: Any) -> rx.Component:
    """A button (``trigger``) that asks first: a dialog with Cancel and a red ``action`` button
    firing ``on_confirm`` (unsubscribe, unlist, suspend)."""
    return rx.alert_dialog.root(
        rx.alert_dialog.trigger(trigger),
        rx.alert_dialog.content(
            rx.alert_dialog.title(title),
            rx.alert_dialog.description(description, size="2"),
            rx.hstack(
                rx.alert_dialog.cancel(rx.button("Cancel", variant="soft", color_scheme="gray")),
                rx.alert_dialog.action(rx.button(action, color_scheme="red", on_click=on_confirm)),
                spacing="3",
                justify="end",
                margin_top="16px",
            ),
            max_width="440px",
        ),
    )
