"""``/publisher``: my listings with status, subscribers, runs in 30 days and rating; publish,
publish a new version with a changelog entry, unlist (after a confirmation); list another agent."""

from __future__ import annotations

from typing import Any

import reflex as rx
from sqlmodel import Session

from backend.accounts.actor import Actor, NotFound, PermissionDenied
from backend.agents.service import list_agents
from dashboard.shell.auth import signed_in
from dashboard.shell.db import in_session
from dashboard.shell.forms import banner, field_error, labelled
from marketplace.errors import ListingInvalid, MarketplaceError
from marketplace.listings import publish_listing, publish_version, publisher_listings, unlist_listing
from marketplace.pages.common import MUTED, confirm, empty, frame, loading, status_badge
from marketplace.pages.rows import PairRow, PublisherRow, publisher_row

REFUSED = (NotFound, PermissionDenied, MarketplaceError)


def _dashboard(actor: Actor, session: Session) -> tuple[list[PublisherRow], list[PairRow]]:
    """My listings, and my agents without a listing (to list one)."""
    rows = [publisher_row(x) for x in publisher_listings(actor=actor, session=session)]
    listed = {r.agent_id for r in rows}
    agents = [
        PairRow(a.id, f"{a.avatar} {a.name}") for a in list_agents(actor=actor, session=session) if a.id not in listed
    ]
    return rows, agents


class PublisherState(rx.State):
    """The publisher's dashboard."""

    rows: list[PublisherRow] = []
    unlisted_agents: list[PairRow] = []
    loaded: bool = False
    version_for: str = ""
    version_error: str = ""
    notice: str = ""
    error: str = ""

    async def _reload(self, actor: Actor) -> None:
        self.rows, self.unlisted_agents = await in_session(lambda s: _dashboard(actor, s))
        self.loaded = True

    @rx.event
    async def load(self):  # type: ignore[no-untyped-def]
        """``on_load``: my listings and unlisted agents."""
        self.notice = self.error = self.version_for = ""
        await self._reload(await signed_in(self))

    async def _act(self, work: Any, done: str) -> None:
        actor = await signed_in(self)
        self.notice = self.error = ""
        try:
            await in_session(lambda s: work(actor, s))
        except REFUSED as exc:
            self.error = str(exc)
        else:
            self.notice = done
        await self._reload(actor)

    @rx.event
    async def publish(self, listing_id: str):  # type: ignore[no-untyped-def]
        """Publish a draft or unlisted listing."""
        await self._act(lambda a, s: publish_listing(actor=a, listing_id=listing_id, session=s), "Published.")

    @rx.event
    async def unlist(self, listing_id: str):  # type: ignore[no-untyped-def]
        """Unlist (after the confirmation dialog): out of search, no new subscribers."""
        await self._act(
            lambda a, s: unlist_listing(actor=a, listing_id=listing_id, session=s),
            "Unlisted: current subscribers keep it; nobody new can subscribe.",
        )

    @rx.event
    def version_dialog(self, listing_id: str) -> None:
        """Open (``listing_id``) or close (``""``) the new-version dialog."""
        self.version_for, self.version_error = listing_id, ""

    @rx.event
    def version_dialog_open(self, is_open: bool) -> None:
        """The dialog was closed (Escape, Cancel)."""
        if not is_open:
            self.version_for, self.version_error = "", ""

    @rx.event
    async def publish_version(self, form: dict[str, Any]):  # type: ignore[no-untyped-def]
        """Pin the agent's newest version with a changelog entry."""
        actor = await signed_in(self)
        listing_id, text = self.version_for, str(form.get("changelog", "") or "")
        try:
            await in_session(lambda s: publish_version(actor=actor, listing_id=listing_id, changelog=text, session=s))
        except ListingInvalid as exc:
            self.version_error = str(exc)
            return
        except REFUSED as exc:
            self.version_error = str(exc)
            return
        self.version_for, self.notice, self.error = "", "New version published: new conversations use it.", ""
        await self._reload(actor)


S: Any = PublisherState


def _unlist(row: Any) -> rx.Component:
    return confirm(
        rx.button("Unlist", size="1", variant="soft", color_scheme="red", aria_label="Unlist " + row.title),
        "Unlist “" + row.title + "”?",
        "It leaves search and nobody new can subscribe. Current subscribers keep using it.",
        "Unlist",
        S.unlist(row.id),
    )


def _actions(row: Any) -> rx.Component:
    return rx.hstack(
        rx.link(
            rx.button("Edit", size="1", variant="outline"),
            href="/publisher/listing?agent=" + row.agent_id,
            aria_label="Edit " + row.title,
        ),
        rx.link(
            rx.button("Analytics", size="1", variant="ghost"),
            href="/analytics?listing=" + row.id,
            aria_label="Analytics of " + row.title,
        ),
        rx.cond(
            row.status == "published",
            rx.link(
                rx.button("Embed", size="1", variant="outline"),
                href="/developers?kind=publishable&target=listing:" + row.id,
                aria_label="Embed " + row.title + " on a website",
            ),
        ),
        rx.cond(
            (row.status == "draft") | (row.status == "unlisted"),
            rx.button(
                "Publish", size="1", color_scheme="green", on_click=S.publish(row.id), aria_label="Publish " + row.title
            ),
        ),
        rx.cond(
            (row.latest_version > row.version) & (row.status != "suspended"),
            rx.button("Publish version " + row.latest_version.to_string(), size="1", on_click=S.version_dialog(row.id)),
        ),
        rx.cond(row.status == "published", _unlist(row)),
        spacing="2",
        flex_wrap="wrap",
    )


def _row(row: Any) -> rx.Component:
    return rx.table.row(
        rx.table.row_header_cell(
            rx.hstack(
                rx.text(row.icon, aria_hidden="true"), rx.link(row.title, href="/marketplace/" + row.slug), spacing="2"
            ),
            rx.cond(row.note != "", rx.text(row.note, size="1", color="var(--red-11)")),
        ),
        rx.table.cell(status_badge(row.status)),
        rx.table.cell("v", row.version),
        rx.table.cell(row.subscribers, class_name="subscribers"),
        rx.table.cell(row.runs_30d),
        rx.table.cell(row.rating, class_name="rating"),
        rx.table.cell(row.price),
        rx.table.cell(_actions(row)),
        class_name="publisher-listing",
    )


def _table() -> rx.Component:
    heads = ["Listing", "Status", "Version", "Subscribers", "Runs (30 d)", "Rating", "Price", "Actions"]
    return rx.table.root(
        rx.table.header(rx.table.row(*[rx.table.column_header_cell(h) for h in heads])),
        rx.table.body(rx.foreach(S.rows, _row)),
        width="100%",
        aria_label="My listings",
    )


def _version_dialog() -> rx.Component:
    return rx.dialog.root(
        rx.dialog.content(
            rx.dialog.title("Publish a new version"),
            rx.dialog.description(
                "Subscribers' new conversations will run the agent's newest version. Tell them what changed.", size="2"
            ),
            rx.form(
                labelled(
                    "Changelog (markdown)", rx.text_area(id="changelog", name="changelog", max_length=2000), "changelog"
                ),
                field_error(S.version_error),
                rx.hstack(
                    rx.dialog.close(rx.button("Cancel", variant="soft", color_scheme="gray", type="button")),
                    rx.button("Publish version", type="submit"),
                    justify="end",
                    spacing="3",
                    margin_top="12px",
                ),
                on_submit=S.publish_version,
            ),
            max_width="480px",
        ),
        open=S.version_for != "",
        on_open_change=S.version_dialog_open,
    )


def _new_listing() -> rx.Component:
    return rx.cond(
        S.unlisted_agents.length() > 0,
        rx.vstack(
            rx.heading("List another agent", size="4", as_="h2"),
            rx.hstack(
                rx.foreach(
                    S.unlisted_agents,
                    lambda a: rx.link(
                        rx.button(a.second, variant="outline"), href="/publisher/listing?agent=" + a.first
                    ),
                ),
                flex_wrap="wrap",
                spacing="2",
            ),
            width="100%",
        ),
    )


def publisher_page() -> rx.Component:
    """``/publisher``."""
    return frame(
        "Publisher",
        lambda: rx.vstack(
            banner(S.notice, kind="success"),
            banner(S.error),
            rx.cond(
                ~S.loaded,
                loading(),
                rx.cond(
                    S.rows.length() == 0,
                    empty("📣", "No listings yet", "Publish one of your agents: it gets a page in the marketplace."),
                    _table(),
                ),
            ),
            _new_listing(),
            rx.text(
                "Figures count runs in the last 30 days; ratings come from subscribers' reviews.", size="1", color=MUTED
            ),
            _version_dialog(),
            width="100%",
            spacing="4",
        ),
    )
