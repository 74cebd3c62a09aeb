"""Plain, mutable data the marketplace pages keep in state (state vars are pickled and sent to the
browser: strings and numbers only, nothing confidential), built from the services' frozen views."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime

from marketplace.schemas import (
    ChangelogEntry,
    ListingCard,
    MessageView,
    PublisherListing,
    RatingSummary,
    ReportView,
    ReviewView,
    SubscriptionView,
)


def day(when: datetime | None) -> str:
    """``"02 Dec 2026"`` (UTC), or ``""``."""
    return when.strftime("%d %b %Y") if when else ""


def rating_text(rating: RatingSummary) -> str:
    """``"4.5 ★ (12 reviews)"``, ``"5.0 ★ (1 review)"`` or ``"No reviews yet"``."""
    if not rating.count:
        return "No reviews yet"
    return f"{rating.average:.1f} ★ ({rating.count:,} review{'s' if rating.count != 1 else ''})"


@dataclass
class CardRow:
    """A listing card of the grid."""

    id: str = ""
    slug: str = ""
    title: str = ""
    tagline: str = ""
    icon: str = ""
    category: str = ""
    publisher: str = ""
    price: str = ""
    rating: str = ""
    subscribers: str = ""


def card_row(card: ListingCard) -> CardRow:
    """The grid's view of a :class:`ListingCard`."""
    subs = card.subscriber_count
    return CardRow(
        id=card.id,
        slug=card.slug,
        title=card.title,
        tagline=card.tagline,
        icon=card.icon,
        category=card.category,
        publisher=card.publisher,
        price=card.plan.label,
        rating=rating_text(card.rating),
        subscribers=f"{subs:,} subscriber{'s' if subs != 1 else ''}",
    )


@dataclass
class ChangeRow:
    """A changelog entry (``changelog`` is markdown)."""

    version: int = 0
    changelog: str = ""
    date: str = ""


def change_row(entry: ChangelogEntry) -> ChangeRow:
    """The page's view of a :class:`ChangelogEntry`."""
    return ChangeRow(entry.version_number, entry.changelog, day(entry.published_at))


@dataclass
class ReviewRow:
    """A review with the publisher's reply (``""`` when none)."""

    id: str = ""
    author: str = ""
    stars: int = 0
    stars_text: str = ""
    text: str = ""
    reply: str = ""
    date: str = ""
    mine: bool = False


def review_row(review: ReviewView) -> ReviewRow:
    """The page's view of a :class:`ReviewView`."""
    stars = "★" * review.stars + "☆" * (5 - review.stars)
    return ReviewRow(
        review.id, review.author, review.stars, stars, review.text, review.reply, day(review.updated_at), review.mine
    )


@dataclass
class PairRow:
    """An example prompt and its answer (markdown), or a tool and the data that leaves with it."""

    first: str = ""
    second: str = ""


@dataclass
class MessageRow:
    """A trial chat message (``error`` is the user-facing sentence of a failed run)."""

    id: str = ""
    role: str = ""
    content: str = ""
    error: str = ""


def message_row(msg: MessageView) -> MessageRow:
    """The trial panel's view of a :class:`MessageView`."""
    return MessageRow(msg.id, msg.role, msg.content, msg.error)


@dataclass
class SubscriptionRow:
    """A row of My agents."""

    listing_id: str = ""
    slug: str = ""
    title: str = ""
    icon: str = ""
    status: str = ""
    version: str = ""
    newer: list[ChangeRow] = field(default_factory=list)
    can_run: bool = True
    billing: str = ""


def subscription_row(sub: SubscriptionView) -> SubscriptionRow:
    """My agents' view of a :class:`SubscriptionView`."""
    version = f"Runs version {sub.running_version_number}"
    if sub.current_version_number != sub.running_version_number:
        version += f" (version {sub.current_version_number} is out: new conversations use it)"
    return SubscriptionRow(
        sub.listing_id,
        sub.listing_slug,
        sub.listing_title,
        sub.icon,
        sub.status,
        version,
        [change_row(c) for c in sub.newer_changes],
        sub.can_run and sub.status == "active",
        sub.billing_note,  # paid plans: "Renews on ...", "Checkout not finished", ...
    )


@dataclass
class PublisherRow:
    """A row of the publisher's dashboard."""

    id: str = ""
    slug: str = ""
    title: str = ""
    icon: str = ""
    status: str = ""
    agent_id: str = ""
    version: int = 0
    latest_version: int = 0
    subscribers: int = 0
    runs_30d: int = 0
    rating: str = ""
    price: str = ""
    note: str = ""


def publisher_row(row: PublisherListing) -> PublisherRow:
    """The dashboard's view of a :class:`PublisherListing`."""
    return PublisherRow(
        row.id,
        row.slug,
        row.title,
        row.icon,
        row.status,
        row.agent_id,
        row.version_number,
        row.latest_agent_version,
        row.subscribers,
        row.runs_30d,
        rating_text(row.rating),
        row.plan.label,
        f"Suspended: {row.suspended_reason}" if row.suspended_reason else "",
    )


@dataclass
class ReportRow:
    """An item of the admins' report queue."""

    id: str = ""
    slug: str = ""
    title: str = ""
    listing_status: str = ""
    what: str = ""
    review_text: str = ""
    reporter: str = ""
    reason: str = ""
    status: str = ""
    resolution: str = ""
    date: str = ""


def report_row(report: ReportView) -> ReportRow:
    """The queue's view of a :class:`ReportView`."""
    return ReportRow(
        report.id,
        report.listing_slug,
        report.listing_title,
        report.listing_status,
        "Review" if report.review_id else "Listing",
        report.review_text,
        report.reporter,
        report.reason,
        report.status,
        report.resolution,
        day(report.created_at),
    )
