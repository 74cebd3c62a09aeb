"""``/notifications``: the Inbox — notifications agents sent with ``send_notification``.

Newest first, unread ones marked, "Mark read" per notification and "Mark all read".
"""

from __future__ import annotations

import dataclasses
from typing import Any

import reflex as rx

from backend.accounts.actor import NotFound, PermissionDenied
from backend.tools.notifications import list_notifications, mark_read, unread_count
from dashboard.shell.auth import signed_in
from dashboard.shell.db import in_session
from dashboard.shell.forms import banner
from dashboard.shell.layout import page


@dataclasses.dataclass
class NotificationRow:
    """One notification as the Inbox shows it."""

    id: str = ""
    title: str = ""
    body: str = ""
    created_at: str = ""
    unread: bool = True
    emailed: bool = False


class InboxState(rx.State):
    """The Inbox page: notifications and the unread count."""

    items: list[NotificationRow] = []
    unread: int = 0
    loaded: bool = False
    error: str = ""

    async def _refresh(self, actor: Any) -> None:
        rows, self.unread = await in_session(
            lambda s: (list_notifications(actor=actor, session=s), unread_count(actor=actor, session=s))
        )
        self.items = [
            NotificationRow(
                n.id, n.title, n.body, n.created_at.strftime("%Y-%m-%d %H:%M UTC"), n.read_at is None, n.emailed
            )
            for n in rows
        ]

    @rx.event
    async def load(self):  # type: ignore[no-untyped-def]
        """``on_load``: the signed-in user's notifications."""
        self.error = ""
        actor = await signed_in(self)
        try:
            await self._refresh(actor)
        except PermissionDenied:
            self.error = "You are not a member of this workspace."
        self.loaded = True
        return None

    @rx.event
    async def mark(self, notification_id: str):  # type: ignore[no-untyped-def]
        """Mark one notification (or all, with ``""``) as read."""
        actor = await signed_in(self)
        self.error = ""
        try:
            await in_session(lambda s: mark_read(actor=actor, notification_id=notification_id or None, session=s))
        except (NotFound, PermissionDenied):
            self.error = "That notification no longer exists."
        await self._refresh(actor)
        return None


S: Any = InboxState


def _item(row: Any) -> rx.Component:  # a Var of NotificationRow
    return rx.el.li(
        rx.hstack(
            rx.icon("bell", size=18, color=rx.cond(row.unread, "var(--accent-10)", "var(--gray-8)")),
            rx.vstack(
                rx.hstack(
                    rx.text(row.title, weight=rx.cond(row.unread, "bold", "regular"), size="3"),
                    rx.cond(row.unread, rx.badge("unread", size="1"), rx.fragment()),
                    rx.cond(row.emailed, rx.badge("e-mailed", size="1", color_scheme="gray"), rx.fragment()),
                    spacing="2",
                    align="center",
                ),
                rx.cond(row.body != "", rx.text(row.body, size="2", color="var(--gray-11)"), rx.fragment()),
                rx.text(row.created_at, size="1", color="var(--gray-11)"),
                spacing="1",
                flex="1",
                min_width="0",
            ),
            rx.cond(
                row.unread,
                rx.button(
                    "Mark read", size="1", variant="soft", aria_label="Mark read: " + row.title, on_click=S.mark(row.id)
                ),
                rx.fragment(),
            ),
            spacing="3",
            align="start",
            width="100%",
        ),
        style={"listStyle": "none", "padding": "12px 0", "borderBottom": "1px solid var(--gray-4)"},
    )


def notifications_page() -> rx.Component:
    """The Inbox: notifications with Mark read / Mark all read, or an empty state."""
    actions = rx.button(
        "Mark all read", variant="soft", on_click=S.mark(""), disabled=S.unread == 0, aria_label="Mark all read"
    )
    body = rx.vstack(
        banner(S.error),
        rx.text(S.unread.to_string() + " unread", size="2", color="var(--gray-11)"),
        rx.cond(
            S.loaded,
            rx.cond(
                S.items.length() > 0,
                rx.el.ul(rx.foreach(S.items, _item), style={"padding": "0", "margin": "0", "width": "100%"}),
                rx.callout(
                    "No notifications yet — agents with the “Send notification” tool post here.",
                    icon="bell",
                    color_scheme="gray",
                    width="100%",
                ),
            ),
            rx.hstack(rx.spinner(), rx.text("Loading…", size="2"), spacing="2"),
        ),
        spacing="4",
        width="100%",
    )
    return page("Inbox", body, actions=actions)
