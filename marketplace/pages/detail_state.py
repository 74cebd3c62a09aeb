"""State of a listing's page (``/marketplace/[slug]``): load, subscribe, review, report, reply.

Every mutating handler re-checks the signed-in user (``signed_in``) and calls one service in a
worker thread; a service's refusal shows as its own sentence (``str(exc)``).
"""

from __future__ import annotations

from typing import Any

import reflex as rx
from sqlmodel import Session

from backend.accounts.actor import Actor, NotFound, PermissionDenied
from dashboard.shell.auth import signed_in
from dashboard.shell.db import in_session
from marketplace.catalog import listing_detail
from marketplace.errors import MarketplaceError
from marketplace.moderation import report_listing, report_review
from marketplace.pages.common import viewer
from marketplace.pages.rows import ChangeRow, PairRow, ReviewRow, change_row, rating_text, review_row
from marketplace.reviews import reply_to_review, save_review
from marketplace.schemas import ListingDetail
from marketplace.subscriptions import subscribe

REFUSED = (NotFound, PermissionDenied, MarketplaceError)
CHAT_PREFIX = "listing:"
"""The chat page opens a subscribed agent as ``/chat?agent=listing:<listing id>``."""


class DetailState(rx.State):
    """A listing's page."""

    loading: bool = True
    found: bool = False
    listing_id: str = ""
    slug: str = ""
    title: str = ""
    tagline: str = ""
    icon: str = ""
    category: str = ""
    tags: list[str] = []
    publisher: str = ""
    price: str = ""
    paid: bool = False
    rating: str = ""
    histogram: list[PairRow] = []
    subscribers: int = 0
    description: str = ""
    examples: list[PairRow] = []
    tools: list[PairRow] = []
    data_leaves: str = ""
    version: int = 0
    changelog: list[ChangeRow] = []
    trust: list[PairRow] = []
    reviews: list[ReviewRow] = []
    status: str = ""
    page_title: str = "Marketplace · Agent Hub"
    meta_description: str = "AI agents you can try, subscribe to and chat with."
    signed: bool = False
    is_publisher: bool = False
    subscribed: bool = False
    can_review: bool = False
    running_version: int = 0
    my_stars: str = "5"
    my_text: str = ""
    has_review: bool = False
    notice: str = ""
    error: str = ""
    review_error: str = ""
    report_target: str = ""
    report_error: str = ""

    def _fill(self, d: ListingDetail) -> None:
        card = d.card
        self.listing_id, self.slug, self.title, self.tagline = card.id, card.slug, card.title, card.tagline
        self.icon, self.category, self.tags, self.publisher = card.icon, card.category, list(card.tags), card.publisher
        self.price, self.paid, self.subscribers = card.plan.label, card.plan.kind != "free", card.subscriber_count
        self.rating = rating_text(card.rating)
        self.histogram = [PairRow(f"{n} ★", str(card.rating.histogram[n - 1])) for n in range(5, 0, -1)]
        self.description, self.data_leaves, self.version, self.status = (
            d.description,
            d.data_leaves_summary,
            d.version_number,
            d.status,
        )
        self.examples = [PairRow(e.prompt, e.answer) for e in d.examples]
        self.tools = [PairRow(t.title, t.data_leaves) for t in d.tools]
        self.changelog = [change_row(c) for c in d.changelog]
        t = d.trust
        self.trust = [
            PairRow("Runs in the last 30 days", f"{t.runs_30d:,}"),
            PairRow("Success rate", "—" if t.success_rate_pct is None else f"{t.success_rate_pct:.1f} %"),
            PairRow("Median response time", "—" if t.median_latency_ms is None else f"{t.median_latency_ms:,} ms"),
        ]
        self.reviews = [review_row(r) for r in d.reviews]
        mine = next((r for r in d.reviews if r.mine), None)
        self.has_review = mine is not None
        self.my_stars, self.my_text = (str(mine.stars), mine.text) if mine else ("5", "")
        self.page_title, self.meta_description = f"{card.title} · Agent Hub Marketplace", d.meta_description
        self.is_publisher, self.subscribed, self.can_review = (
            d.viewer_is_publisher,
            d.viewer_subscribed,
            d.viewer_can_review,
        )
        self.running_version = d.viewer_version_number or 0

    async def _reload(self, actor: Actor | None) -> None:
        slug = self.slug
        try:
            detail = await in_session(lambda s: listing_detail(slug=slug, viewer=actor, session=s))
        except NotFound:
            self.found = False
        else:
            self._fill(detail)
            self.found = True
        self.signed, self.loading = actor is not None, False

    @rx.event
    async def load(self):  # type: ignore[no-untyped-def]
        """``on_load``: the listing of the address's slug (a visitor sees published/unlisted ones)."""
        self.loading, self.notice, self.error, self.review_error, self.report_target = True, "", "", "", ""
        self.slug = str(self.router.page.params.get("slug", "") or "")[:120]
        await self._reload(await viewer(self))

    @rx.event
    async def subscribe(self):  # type: ignore[no-untyped-def]
        """Subscribe: a free plan at once; a paid one goes on to its checkout (the local test-mode
        page, or Stripe's Checkout in Stripe mode)."""
        actor = await signed_in(self)
        listing_id = self.listing_id
        self.notice = self.error = ""
        try:
            view = await in_session(lambda s: subscribe(actor=actor, listing_id=listing_id, session=s))
        except REFUSED as exc:
            self.error = str(exc)
            return None
        if view.checkout_url:
            return rx.redirect(view.checkout_url, is_external=view.checkout_url.startswith("http"))
        await self._reload(actor)
        self.notice = "You are subscribed. Find this agent under My agents, or chat with it now."
        return None

    @rx.event
    def set_stars(self, value: str) -> None:
        """The review form's stars."""
        self.my_stars = value if value in {"1", "2", "3", "4", "5"} else "5"

    @rx.event
    async def save_review(self, form: dict[str, Any]):  # type: ignore[no-untyped-def]
        """Write or edit the viewer's review (subscribers with a finished run)."""
        actor = await signed_in(self)
        listing_id, text = self.listing_id, str(form.get("review_text", "") or "")
        stars = int(self.my_stars) if self.my_stars.isdigit() else 5
        self.review_error = self.notice = ""
        try:
            await in_session(
                lambda s: save_review(actor=actor, listing_id=listing_id, stars=stars, text=text, session=s)
            )
        except REFUSED as exc:
            self.review_error, self.my_text = str(exc), text
            return
        await self._reload(actor)
        self.notice = "Thank you: your review is saved."

    @rx.event
    def open_report(self, target: str) -> None:
        """Open the report form for the listing (``"listing"``) or a review (its id)."""
        self.report_target, self.report_error = target, ""

    @rx.event
    def report_dialog(self, is_open: bool) -> None:
        """The report dialog was closed (Escape, Cancel, outside click)."""
        if not is_open:
            self.report_target, self.report_error = "", ""

    @rx.event
    async def send_report(self, form: dict[str, Any]):  # type: ignore[no-untyped-def]
        """Report the listing or a review to the platform admins."""
        actor = await signed_in(self)
        target, listing_id, reason = self.report_target, self.listing_id, str(form.get("reason", "") or "")

        def work(s: Session) -> str:
            if target == "listing":
                return report_listing(actor=actor, listing_id=listing_id, reason=reason, session=s)
            return report_review(actor=actor, review_id=target, reason=reason, session=s)

        try:
            await in_session(work)
        except REFUSED as exc:
            self.report_error = str(exc)
            return
        self.report_target, self.report_error = "", ""
        self.notice = "Thank you: the report was sent to the moderators."

    @rx.event
    async def reply(self, form: dict[str, Any]):  # type: ignore[no-untyped-def]
        """The publisher's one reply to a review (``form``: ``review_id``, ``reply``)."""
        actor = await signed_in(self)
        review_id, text = str(form.get("review_id", "")), str(form.get("reply", "") or "")
        self.error = self.notice = ""
        try:
            await in_session(lambda s: reply_to_review(actor=actor, review_id=review_id, reply=text, session=s))
        except REFUSED as exc:
            self.error = str(exc)
            return
        await self._reload(actor)
        self.notice = "Your reply is published."
