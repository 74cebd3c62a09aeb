"""Data the marketplace services take and return (no ORM rows leave the services).

Confidentiality by construction: the public and subscriber-facing types below have no field for
an agent's instructions, knowledge, tool configuration or secrets, connection or model settings,
nor for any other user's data; only :class:`PublisherListing` (the publisher's own view) names the
paying connection. Money is integer cents (``currency``) for prices, nano-USD for spend caps.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Literal

from pydantic import BaseModel, Field

SortKey = Literal["relevance", "popular", "top_rated", "newest", "price"]
SORT_KEYS: tuple[SortKey, ...] = ("relevance", "popular", "top_rated", "newest", "price")


class ExamplePair(BaseModel):
    """An example prompt with the answer the publisher shows for it (markdown)."""

    prompt: str = Field(max_length=500)
    answer: str = Field(default="", max_length=4000)


class ListingInput(BaseModel):
    """What the publish form holds. Prices in integer cents of ``currency``; ``None`` for the
    subscriber defaults means no cap; ``slug`` empty: derived from the title.

    ``connection_id`` empty means the pinned version's own connection pays.
    """

    title: str = ""
    tagline: str = ""
    description: str = ""
    category: str = "General"
    tags: list[str] = Field(default_factory=list)
    icon: str = "🤖"
    slug: str = ""
    examples: list[ExamplePair] = Field(default_factory=list)
    plan_kind: Literal["free", "monthly", "per_run"] = "free"
    currency: str = "usd"
    monthly_price_cents: int = 0
    included_runs: int = 0
    price_per_run_cents: int = 0
    free_trial_runs: int = 0
    connection_id: str = ""
    subscriber_requests_per_min: int | None = None
    subscriber_monthly_budget_nano: int | None = None


@dataclass(frozen=True)
class Plan:
    """A listing's pricing as shown to anyone: ``kind`` free|monthly|per_run; cents of ``currency``;
    ``label`` a ready sentence such as ``"$9.00 / month, 100 runs included"`` or ``"Free"``."""

    kind: str
    currency: str
    monthly_price_cents: int
    included_runs: int
    price_per_run_cents: int
    free_trial_runs: int
    label: str


@dataclass(frozen=True)
class RatingSummary:
    """Average stars (1-5, one decimal; 0.0 without reviews), review count, and the count per star
    ``histogram[0]`` = 1 star ... ``histogram[4]`` = 5 stars."""

    average: float
    count: int
    histogram: tuple[int, int, int, int, int] = (0, 0, 0, 0, 0)


@dataclass(frozen=True)
class TrustFigures:
    """Figures from real runs of the listing's agent in the last 30 days: run count, finished runs
    that succeeded (0-100 %, ``None`` with no finished run), median latency in ms (``None`` without
    a measured run)."""

    runs_30d: int
    success_rate_pct: float | None
    median_latency_ms: int | None


@dataclass(frozen=True)
class ToolUse:
    """A tool the pinned version may use: its public ``title`` and what data leaves with it
    (``"Can fetch web pages: the addresses it opens leave Agent Hub."``)."""

    title: str
    data_leaves: str


@dataclass(frozen=True)
class ListingCard:
    """A search result / card: enough for the grid, nothing confidential (``id`` is the listing's,
    which the subscribe/review/report/try functions take)."""

    id: str
    slug: str
    title: str
    tagline: str
    icon: str
    category: str
    tags: tuple[str, ...]
    publisher: str
    plan: Plan
    rating: RatingSummary
    subscriber_count: int
    published_at: datetime | None


@dataclass(frozen=True)
class ChangelogEntry:
    """One published version: number, changelog text (markdown) and when."""

    version_number: int
    changelog: str
    published_at: datetime


@dataclass(frozen=True)
class ReviewView:
    """A review as anyone sees it: the author's display name (email local part), stars, text,
    the publisher's reply (``""`` when none) and whether the viewer wrote it (``mine``)."""

    id: str
    author: str
    stars: int
    text: str
    reply: str
    created_at: datetime
    updated_at: datetime
    replied_at: datetime | None
    mine: bool = False


@dataclass(frozen=True)
class ListingDetail:
    """The listing page: the card plus description (markdown), examples, tools and data leaving,
    version and changelog (newest first), trust figures, reviews (newest first, at most 50) and
    the viewer's relation to it (``viewer_*`` are False/None for a signed-out visitor).

    ``meta_description`` is a plain-text summary (<= 160 chars) for the page's social preview.
    """

    card: ListingCard
    description: str
    examples: tuple[ExamplePair, ...]
    tools: tuple[ToolUse, ...]
    data_leaves_summary: str
    version_number: int
    changelog: tuple[ChangelogEntry, ...]
    trust: TrustFigures
    reviews: tuple[ReviewView, ...]
    status: str
    meta_description: str
    viewer_is_publisher: bool = False
    viewer_subscribed: bool = False
    viewer_can_review: bool = False
    viewer_version_number: int | None = None


@dataclass(frozen=True)
class SearchPage:
    """One page of search results: ``items`` on page ``page`` (1-based) of ``pages`` (>= 1),
    ``total`` matching listings."""

    items: tuple[ListingCard, ...]
    total: int
    page: int
    pages: int
    per_page: int


@dataclass(frozen=True)
class SubscriptionView:
    """One of "My agents": the listing, the agent id to chat with, status active|canceled, the
    version new conversations run and the one the subscriber's newest conversation runs, and the
    changelog entries newer than the version they run (newest first). Paid plans:
    ``billing_status`` (``incomplete``, ``active``, ``past_due``, ``canceled``; ``""`` for free),
    ``billing_note`` a sentence (``"Renews on 02 Jan 2027"``) and, right after subscribing,
    ``checkout_url`` where to pay (a local path in test mode, Stripe's Checkout in Stripe mode;
    None when nothing is to pay)."""

    id: str
    listing_id: str
    listing_slug: str
    listing_title: str
    icon: str
    agent_id: str
    status: str
    current_version_number: int
    running_version_number: int
    newer_changes: tuple[ChangelogEntry, ...] = field(default_factory=tuple)
    can_run: bool = True
    billing_status: str = ""
    billing_note: str = ""
    checkout_url: str | None = None


@dataclass(frozen=True)
class PublisherListing:
    """A row of the publisher's dashboard (``/publisher``): their own listing with its status,
    subscriber count (active), runs of its agent in 30 days, rating, the pinned version and the
    agent's newest version (a new version can be published when it is higher)."""

    id: str
    slug: str
    title: str
    icon: str
    status: str
    agent_id: str
    version_number: int
    latest_agent_version: int
    subscribers: int
    runs_30d: int
    rating: RatingSummary
    plan: Plan
    connection_id: str | None
    suspended_reason: str = ""


@dataclass(frozen=True)
class ReportView:
    """An item of the admin queue: what was reported (listing, and review when ``review_id``),
    the reporter's email, the reason, status open|resolved and the resolution note."""

    id: str
    listing_slug: str
    listing_title: str
    listing_status: str
    review_id: str | None
    review_text: str
    reporter: str
    reason: str
    status: str
    resolution: str
    created_at: datetime


@dataclass(frozen=True)
class ConversationView:
    """A subscriber's or visitor's conversation as listed: title, the listing version it runs, last activity."""

    id: str
    title: str
    version_number: int
    updated_at: datetime


@dataclass(frozen=True)
class MessageView:
    """A message as a subscriber or visitor sees it: no model, cost or connection figures
    (those are the publisher's); ``error`` is the run's user-facing error sentence, if any."""

    id: str
    role: str
    content: str
    run_status: str = ""
    latency_ms: int | None = None
    error: str = ""
