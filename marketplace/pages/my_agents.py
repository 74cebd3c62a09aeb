"""``/my-agents``: the agents I subscribe to: the version each runs, what changed since, Chat,
Unsubscribe (after a confirmation; conversations stay readable)."""

from __future__ import annotations

from typing import Any

import reflex as rx

from backend.accounts.actor import NotFound
from dashboard.shell.auth import signed_in
from dashboard.shell.db import in_session
from dashboard.shell.forms import banner
from dashboard.shell.markdown import safe_markdown
from marketplace.errors import MarketplaceError
from marketplace.pages.common import MUTED, confirm, empty, frame, loading, status_badge
from marketplace.pages.detail_state import CHAT_PREFIX
from marketplace.pages.rows import SubscriptionRow, subscription_row
from marketplace.subscriptions import my_subscriptions, unsubscribe


class MyAgentsState(rx.State):
    """My agents."""

    rows: list[SubscriptionRow] = []
    loaded: bool = False
    notice: str = ""
    error: str = ""

    async def _reload(self) -> None:
        actor = await signed_in(self)
        subs = await in_session(lambda s: my_subscriptions(actor=actor, session=s))
        self.rows, self.loaded = [subscription_row(x) for x in subs], True

    @rx.event
    async def load(self):  # type: ignore[no-untyped-def]
        """``on_load``: my subscriptions, active first."""
        self.notice = self.error = ""
        await self._reload()

    @rx.event
    async def unsubscribe(self, listing_id: str):  # type: ignore[no-untyped-def]
        """Cancel a subscription (after the confirmation dialog)."""
        actor = await signed_in(self)
        self.notice = self.error = ""
        try:
            view = await in_session(lambda s: unsubscribe(actor=actor, listing_id=listing_id, session=s))
        except (NotFound, MarketplaceError) as exc:
            self.error = str(exc)
        else:
            if view.status == "active":  # a paid subscription: canceled at the end of its period
                self.notice = f"{view.listing_title}: {view.billing_note}. It keeps working until then."
            else:
                self.notice = f"You unsubscribed from {view.listing_title}. Your conversations stay readable."
        await self._reload()


S: Any = MyAgentsState


def _change(entry: Any) -> rx.Component:
    return rx.box(
        rx.text("Version ", entry.version, " · ", entry.date, size="1", weight="bold"), safe_markdown(entry.changelog)
    )


def _unsubscribe(row: Any) -> rx.Component:
    return confirm(
        rx.button("Unsubscribe", variant="soft", color_scheme="red", aria_label="Unsubscribe from " + row.title),
        "Unsubscribe from “" + row.title + "”?",
        "You will not be able to start new runs (a paid plan keeps working until the end of the period). "
        "Your conversations stay readable in Chat.",
        "Unsubscribe",
        S.unsubscribe(row.listing_id),
    )


def _row(row: Any) -> rx.Component:
    chat = rx.link(
        rx.button(
            rx.icon("message_square", size=16),
            rx.cond(row.can_run, "Chat", "Read history"),
            variant=rx.cond(row.can_run, "solid", "outline"),
        ),
        href="/chat?agent=" + CHAT_PREFIX + row.listing_id,
        aria_label=rx.cond(row.can_run, "Chat with ", "Read conversations with ") + row.title,
    )
    return rx.card(
        rx.vstack(
            rx.hstack(
                rx.text(row.icon, size="6", aria_hidden="true"),
                rx.link(rx.heading(row.title, size="4", as_="h2"), href="/marketplace/" + row.slug),
                status_badge(row.status),
                rx.spacer(),
                chat,
                rx.cond(row.status == "active", _unsubscribe(row)),
                align="center",
                width="100%",
                spacing="3",
            ),
            rx.text(row.version, size="2", color=MUTED),
            rx.cond(
                row.billing != "",
                rx.text("Paid plan: ", row.billing, " · ", rx.link("Billing", href="/billing"), size="2"),
            ),
            rx.cond(
                row.newer.length() > 0,
                rx.el.details(
                    rx.el.summary("What changed since your version"),
                    rx.vstack(rx.foreach(row.newer, _change), spacing="2"),
                ),
            ),
            rx.link("Changelog", href="/marketplace/" + row.slug, size="2"),
            spacing="2",
            width="100%",
        ),
        width="100%",
        class_name="subscription",
    )


def my_agents_page() -> rx.Component:
    """``/my-agents``."""
    return frame(
        "My agents",
        lambda: rx.vstack(
            banner(S.notice, kind="success"),
            banner(S.error),
            rx.cond(
                ~S.loaded,
                loading(),
                rx.cond(
                    S.rows.length() == 0,
                    empty(
                        "🛍️",
                        "No subscriptions yet",
                        "Find agents in the marketplace, try them, and subscribe to chat with them here.",
                        rx.link(rx.button("Browse the marketplace"), href="/marketplace"),
                    ),
                    rx.vstack(rx.foreach(S.rows, _row), width="100%", spacing="3"),
                ),
            ),
            width="100%",
            spacing="3",
        ),
    )
