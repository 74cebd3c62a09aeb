"""Marketplace tables: listings of pinned agent versions, their changelog, subscriptions,
reviews and reports (filled by the ``marketplace`` package; backend code never writes them).

Money: plan prices are integer **cents** in ``currency`` (ISO 4217, lower case, ``usd``), the unit
Stripe prices use; spend caps are integer **nano-USD** like every other budget amount.

Full-text search: migration ``0015_marketplace`` keeps an index over title, tagline, tags and
description in step with ``listings`` by database triggers (SQLite FTS5 table ``listing_search``,
its row of a listing named by the SQLite-only column ``listings.search_rowid``)
or a generated ``tsvector`` column with a GIN index (PostgreSQL ``listings.search_vector``), so
every writer of ``listings`` keeps search current in its own transaction.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import JSON, BigInteger, Column, Text, UniqueConstraint
from sqlmodel import Field, SQLModel

from backend.models.common import new_id, utcnow

LISTING_STATUSES = ("draft", "published", "unlisted", "suspended")
"""``draft`` (saved, not visible), ``published`` (in search, anyone may subscribe), ``unlisted``
(hidden by its publisher: no search, no new subscribers, subscribers keep running), ``suspended``
(a platform admin hid it: no search, no page, no runs for anyone but history stays readable)."""

PLAN_KINDS = ("free", "monthly", "per_run")
"""``free``; ``monthly`` (``monthly_price_cents`` buys ``included_runs`` a month; each run beyond
them costs ``price_per_run_cents``, which may be 0); ``per_run``
(``price_per_run_cents`` each run). ``free_trial_runs`` applies to both paid kinds."""


class Listing(SQLModel, table=True):
    """One agent of a publisher's workspace offered on the marketplace, pinned to one version.

    ``version_id``/``version_number`` are the blueprint version new conversations of subscribers
    and visitors run (the latest version the publisher published, see :class:`ListingVersion`).
    ``subscriber_count``, ``rating_count`` and ``rating_total`` are counters kept by the
    marketplace services in the same transaction as the subscription or review they count.
    """

    __tablename__ = "listings"

    id: str = Field(default_factory=new_id, primary_key=True, max_length=32)
    slug: str = Field(index=True, unique=True, max_length=80)
    workspace_id: str = Field(foreign_key="workspaces.id", index=True, max_length=32)
    agent_id: str = Field(foreign_key="agents.id", index=True, max_length=32)
    version_id: str = Field(foreign_key="blueprint_versions.id", max_length=32)
    version_number: int
    created_by: str = Field(foreign_key="users.id", max_length=32)
    title: str = Field(max_length=80)
    tagline: str = Field(default="", max_length=160)
    description: str = Field(default="", sa_column=Column(Text, nullable=False, default=""))
    category: str = Field(default="General", index=True, max_length=40)
    tags: list[str] = Field(default_factory=list, sa_column=Column(JSON, nullable=False))
    # ``tags`` joined by spaces, for the full-text index (kept by the services).
    tags_text: str = Field(default="", max_length=400)
    icon: str = Field(default="🤖", max_length=16)
    # [{"prompt": str, "answer": str}, ...] shown on the listing page (at most 6).
    examples: list[dict[str, str]] = Field(default_factory=list, sa_column=Column(JSON, nullable=False))
    plan_kind: str = Field(default="free", max_length=10)
    currency: str = Field(default="usd", max_length=3)
    monthly_price_cents: int = 0
    included_runs: int = 0
    price_per_run_cents: int = 0
    free_trial_runs: int = 0
    # The publisher's connection that pays the LLM cost of subscribers' runs.
    connection_id: str | None = Field(default=None, max_length=32)
    # Defaults applied to each subscriber (the gateway's end-user scope in the owner workspace).
    subscriber_requests_per_min: int | None = None
    subscriber_monthly_budget_nano: int | None = Field(default=None, sa_column=Column(BigInteger, nullable=True))
    status: str = Field(default="draft", index=True, max_length=12)
    suspended_reason: str = Field(default="", max_length=500)
    subscriber_count: int = 0
    rating_count: int = 0
    rating_total: int = 0
    created_at: datetime = Field(default_factory=utcnow)
    updated_at: datetime = Field(default_factory=utcnow)
    published_at: datetime | None = Field(default=None, index=True)


class ListingVersion(SQLModel, table=True):
    """One published version of a listing with its changelog entry (newest has the highest number)."""

    __tablename__ = "listing_versions"
    __table_args__ = (UniqueConstraint("listing_id", "version_number", name="uq_listing_version"),)

    id: str = Field(default_factory=new_id, primary_key=True, max_length=32)
    listing_id: str = Field(foreign_key="listings.id", index=True, max_length=32)
    blueprint_version_id: str = Field(foreign_key="blueprint_versions.id", max_length=32)
    version_number: int
    changelog: str = Field(default="", max_length=2000)
    published_by: str = Field(foreign_key="users.id", max_length=32)
    published_at: datetime = Field(default_factory=utcnow)


class Subscription(SQLModel, table=True):
    """A user's subscription to a listing, backed by an agent grant while ``active``.

    ``blueprint_version_id`` is the version the subscriber's newest conversation runs (set when
    they subscribe and each time they start a conversation). Canceling revokes the grant; the row,
    its conversations and memory stay (history readable). Subscribing again re-activates it.
    """

    __tablename__ = "subscriptions"
    __table_args__ = (UniqueConstraint("listing_id", "user_id", name="uq_subscription_listing_user"),)

    id: str = Field(default_factory=new_id, primary_key=True, max_length=32)
    listing_id: str = Field(foreign_key="listings.id", index=True, max_length=32)
    user_id: str = Field(foreign_key="users.id", index=True, max_length=32)
    grant_id: str | None = Field(default=None, foreign_key="agent_grants.id", max_length=32)
    status: str = Field(default="active", max_length=10)
    blueprint_version_id: str = Field(foreign_key="blueprint_versions.id", max_length=32)
    created_at: datetime = Field(default_factory=utcnow)
    canceled_at: datetime | None = None


class Review(SQLModel, table=True):
    """1-5 stars and text from a subscriber (one per subscriber and listing, editable), with at
    most one reply of the publisher."""

    __tablename__ = "reviews"
    __table_args__ = (UniqueConstraint("listing_id", "user_id", name="uq_review_listing_user"),)

    id: str = Field(default_factory=new_id, primary_key=True, max_length=32)
    listing_id: str = Field(foreign_key="listings.id", index=True, max_length=32)
    user_id: str = Field(foreign_key="users.id", index=True, max_length=32)
    stars: int
    text: str = Field(default="", sa_column=Column(Text, nullable=False, default=""))
    reply: str = Field(default="", sa_column=Column(Text, nullable=False, default=""))
    replied_at: datetime | None = None
    created_at: datetime = Field(default_factory=utcnow)
    updated_at: datetime = Field(default_factory=utcnow)


class Report(SQLModel, table=True):
    """A signed-in user's report of a listing or of one review (``review_id`` set), for the admin queue."""

    __tablename__ = "marketplace_reports"

    id: str = Field(default_factory=new_id, primary_key=True, max_length=32)
    listing_id: str = Field(foreign_key="listings.id", index=True, max_length=32)
    review_id: str | None = Field(default=None, foreign_key="reviews.id", max_length=32)
    reporter_user_id: str = Field(foreign_key="users.id", max_length=32)
    reason: str = Field(max_length=1000)
    status: str = Field(default="open", index=True, max_length=10)
    resolution: str = Field(default="", max_length=500)
    resolved_by: str | None = Field(default=None, max_length=32)
    created_at: datetime = Field(default_factory=utcnow)
    resolved_at: datetime | None = None
