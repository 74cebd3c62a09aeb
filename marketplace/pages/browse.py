"""``/marketplace``: the public home: full-text search, category filter, sort, pages of cards.

``/marketplace?q=invoice&category=Finance&sort=top_rated&page=2`` opens a search directly.
"""

from __future__ import annotations

from typing import Any

import reflex as rx

from dashboard.shell.db import in_session
from dashboard.shell.forms import banner, labelled
from marketplace.catalog import categories
from marketplace.pages.common import MUTED, empty, frame, loading, viewer
from marketplace.pages.rows import CardRow, card_row
from marketplace.schemas import SORT_KEYS, SearchPage, SortKey
from marketplace.search import search_listings

ALL = "all"
SORT_LABELS = {
    "relevance": "Relevance",
    "popular": "Most popular",
    "top_rated": "Top rated",
    "newest": "Newest",
    "price": "Price: low to high",
}
PER_PAGE = 24


class BrowseState(rx.State):
    """The marketplace home."""

    query: str = ""
    category: str = ALL
    sort: str = "relevance"
    page: int = 1
    pages: int = 1
    total: int = 0
    cards: list[CardRow] = []
    loading: bool = True
    error: str = ""

    @rx.var
    def summary(self) -> str:
        """``"12 agents"`` / ``"3 agents match “invoice”"`` / ``"1 agent matches “invoice”"``."""
        noun = f"{self.total:,} agent{'s' if self.total != 1 else ''}"
        verb = "matches" if self.total == 1 else "match"
        return f"{noun} {verb} “{self.query}”" if self.query else noun

    async def _search(self) -> None:
        sort: SortKey = self.sort if self.sort in SORT_KEYS else "relevance"  # type: ignore[assignment]
        query, category, page_no = self.query, "" if self.category == ALL else self.category, self.page
        self.loading, self.error = True, ""
        try:
            result: SearchPage = await in_session(
                lambda s: search_listings(
                    query=query, category=category, sort=sort, page=page_no, per_page=PER_PAGE, session=s
                )
            )
        except Exception:  # a broken query must not break the page
            self.error, self.cards, self.total, self.pages = "The search failed. Try other words.", [], 0, 1
        else:
            self.cards = [card_row(c) for c in result.items]
            self.total, self.page, self.pages = result.total, result.page, result.pages
        self.loading = False

    @rx.event
    async def load(self):  # type: ignore[no-untyped-def]
        """``on_load``: read ``q``, ``category``, ``sort`` and ``page`` from the address and search."""
        await viewer(self)
        params = self.router.url.query_parameters
        self.query = str(params.get("q", "") or "")[:200]
        category = str(params.get("category", "") or "")
        self.category = category if category in categories() else ALL
        sort = str(params.get("sort", "") or "relevance")
        self.sort = sort if sort in SORT_KEYS else "relevance"
        try:
            self.page = max(1, int(str(params.get("page", "1") or "1")))
        except ValueError:
            self.page = 1
        await self._search()

    @rx.event
    def set_query(self, value: str) -> None:
        """The search box's text (sent on Search / Enter)."""
        self.query = value[:200]

    @rx.event
    async def search(self, form: dict[str, Any]):  # type: ignore[no-untyped-def]
        """The search form: new words, first page."""
        self.query, self.page = str(form.get("q", "") or "").strip()[:200], 1
        await self._search()

    @rx.event
    async def set_category(self, value: str):  # type: ignore[no-untyped-def]
        """Category filter changed."""
        self.category, self.page = (value if value in categories() else ALL), 1
        await self._search()

    @rx.event
    async def set_sort(self, value: str):  # type: ignore[no-untyped-def]
        """Sort changed."""
        self.sort, self.page = (value if value in SORT_KEYS else "relevance"), 1
        await self._search()

    @rx.event
    async def go_page(self, delta: int):  # type: ignore[no-untyped-def]
        """Previous (-1) / next (+1) page."""
        self.page = min(max(1, self.page + delta), self.pages)
        await self._search()


S: Any = BrowseState


def _select(label: str, control_id: str, items: list[tuple[str, str]], value: Any, on_change: Any) -> rx.Component:
    control = rx.select.root(
        rx.select.trigger(id=control_id, width="100%"),
        rx.select.content(*[rx.select.item(text, value=key) for key, text in items]),
        value=value,
        on_change=on_change,
    )
    return rx.box(labelled(label, control, control_id), width="200px")


def _controls() -> rx.Component:
    search = rx.form(
        rx.hstack(
            rx.box(
                labelled(
                    "Search agents",
                    rx.input(
                        id="q",
                        name="q",
                        value=S.query,
                        on_change=S.set_query,
                        placeholder="e.g. invoices, summarise",
                        type="search",
                    ),
                    "q",
                ),
                flex="1",
            ),
            rx.button(rx.icon("search", size=16), "Search", type="submit"),
            align="end",
            width="100%",
        ),
        on_submit=S.search,
        role="search",
        width="100%",
        flex="1",
        min_width="260px",
    )
    cats = [(ALL, "All categories"), *[(c, c) for c in categories()]]
    return rx.hstack(
        search,
        _select("Category", "category", cats, S.category, S.set_category),
        _select("Sort by", "sort", list(SORT_LABELS.items()), S.sort, S.set_sort),
        align="end",
        spacing="3",
        width="100%",
        flex_wrap="wrap",
    )


def listing_card(card: Any) -> rx.Component:
    """A card of the grid: icon, title (the link to the listing), tagline, rating, price."""
    return rx.card(
        rx.vstack(
            rx.hstack(
                rx.text(card.icon, size="7", aria_hidden="true"),
                rx.vstack(
                    rx.link(
                        rx.heading(card.title, size="4", as_="h2"),
                        href="/marketplace/" + card.slug,
                        class_name="card-link",
                    ),
                    rx.text("by ", card.publisher, size="1", color=MUTED),
                    spacing="0",
                ),
                spacing="3",
                align="center",
            ),
            rx.text(card.tagline, size="2"),
            rx.spacer(),
            rx.hstack(
                rx.text(card.rating, size="2", aria_label="Rating"),
                rx.spacer(),
                rx.badge(card.price, variant="soft", color_scheme="green"),
                width="100%",
                align="center",
            ),
            rx.hstack(rx.badge(card.category, variant="outline"), rx.text(card.subscribers, size="1", color=MUTED)),
            spacing="2",
            height="100%",
        ),
        class_name="listing-card",
        as_child=False,
    )


def _pager() -> rx.Component:
    return rx.hstack(
        rx.button("Previous", on_click=S.go_page(-1), disabled=S.page <= 1, variant="soft"),
        rx.text("Page ", S.page, " of ", S.pages, size="2", aria_live="polite"),
        rx.button("Next", on_click=S.go_page(1), disabled=S.page >= S.pages, variant="soft"),
        justify="center",
        align="center",
        spacing="3",
        width="100%",
    )


def _results() -> rx.Component:
    return rx.cond(
        S.loading & (S.cards.length() == 0),
        loading(),
        rx.cond(
            S.cards.length() == 0,
            empty("🔎", "No agents found", "Try other words, another category, or clear the search."),
            rx.vstack(
                rx.hstack(
                    rx.text(S.summary, size="2", color=MUTED, aria_live="polite"),
                    rx.cond(S.loading, rx.spinner(size="1")),
                    align="center",
                ),
                rx.grid(
                    rx.foreach(S.cards, listing_card),
                    columns=rx.breakpoints(initial="1", sm="2", lg="3"),
                    spacing="4",
                    width="100%",
                ),
                rx.cond(S.pages > 1, _pager()),
                width="100%",
                spacing="3",
            ),
        ),
    )


def marketplace_page() -> rx.Component:
    """``/marketplace``: search, filters and the cards (signed out too)."""
    return frame(
        "Marketplace",
        lambda: rx.vstack(_controls(), banner(S.error), _results(), width="100%", spacing="4"),
        public=True,
    )
