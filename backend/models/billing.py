"""Billing ledger tables (filled by the top-level ``billing`` package; backend code never writes them).

Our database is the source of truth for money; Stripe (when configured) mirrors it. Amounts are
integers: **cents** (minor units of ``currency``, ISO 4217 lower case, the unit Stripe prices
use) for what subscribers pay and publishers earn, **nano-USD** for LLM cost (as on usage
records). ``provider`` is ``test`` (offline test mode: no Stripe key, the ledger alone) or
``stripe``; ``stripe_*`` ids are set only in Stripe mode.

Flow: a usage record of a subscriber's run writes a ``billing_outbox`` row in its own transaction
(backend); ``billing.outbox`` claims outbox rows and turns the first billable record of each run
into one :class:`RunCharge` (unique ``run_id``: a run is charged once); the metering worker sends
charges beyond the included quota as Stripe Meter Events (``identifier`` = ``usage_record_id``);
closing a :class:`BillingPeriod` produces an :class:`Invoice` with :class:`InvoiceLineItem` rows
and, once paid, one :class:`PublisherEarning` (gross, platform fee, net).
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, BigInteger, Column, Text, UniqueConstraint
from sqlmodel import Field, SQLModel

from backend.models.common import new_id, utcnow

BILLING_STATUSES = ("incomplete", "trialing", "active", "past_due", "canceled")
"""A paid subscription's billing status (Stripe's names): ``incomplete`` (checkout not finished),
``active``, ``past_due`` (payment failed: access through the grace period), ``canceled`` (ended;
with ``cancel_at_period_end`` it stays usable until ``current_period_end``)."""


def _cents(default: int = 0) -> Any:
    return Field(default=default, sa_column=Column(BigInteger, nullable=False, default=default))


class BillingCustomer(SQLModel, table=True):
    """A user who pays (one per user); ``stripe_customer_id`` in Stripe mode."""

    __tablename__ = "billing_customers"

    id: str = Field(default_factory=new_id, primary_key=True, max_length=32)
    user_id: str = Field(foreign_key="users.id", unique=True, max_length=32)
    stripe_customer_id: str | None = Field(default=None, unique=True, max_length=255)
    created_at: datetime = Field(default_factory=utcnow)


class PublisherAccount(SQLModel, table=True):
    """A publisher workspace's payout account (Stripe Connect Express in Stripe mode).

    ``status``: ``none`` (not started), ``pending`` (onboarding not finished), ``active``
    (charges and payouts enabled), ``restricted`` (Stripe needs more information).
    """

    __tablename__ = "publisher_accounts"

    id: str = Field(default_factory=new_id, primary_key=True, max_length=32)
    workspace_id: str = Field(foreign_key="workspaces.id", unique=True, max_length=32)
    stripe_account_id: str | None = Field(default=None, unique=True, max_length=255)
    status: str = Field(default="none", max_length=12)
    charges_enabled: bool = False
    payouts_enabled: bool = False
    details_submitted: bool = False
    updated_at: datetime = Field(default_factory=utcnow)


class ListingPrice(SQLModel, table=True):
    """A paid listing's prices as last synced to the provider (Stripe Product, flat monthly Price,
    metered per-run Price backed by a Billing Meter named ``meter_event_name``)."""

    __tablename__ = "listing_prices"

    id: str = Field(default_factory=new_id, primary_key=True, max_length=32)
    listing_id: str = Field(foreign_key="listings.id", unique=True, max_length=32)
    currency: str = Field(default="usd", max_length=3)
    monthly_price_cents: int = _cents()
    price_per_run_cents: int = _cents()
    included_runs: int = 0
    stripe_product_id: str | None = Field(default=None, max_length=255)
    stripe_monthly_price_id: str | None = Field(default=None, max_length=255)
    stripe_metered_price_id: str | None = Field(default=None, max_length=255)
    stripe_meter_id: str | None = Field(default=None, max_length=255)
    meter_event_name: str = Field(default="", max_length=100)
    synced_at: datetime | None = None


class BillingSubscription(SQLModel, table=True):
    """The billing side of one marketplace subscription to a paid listing (1:1 with
    ``subscriptions``), with the plan's prices copied at checkout so later price changes never
    rewrite what a subscriber agreed to. ``workspace_id`` is the publisher's workspace."""

    __tablename__ = "billing_subscriptions"

    id: str = Field(default_factory=new_id, primary_key=True, max_length=32)
    subscription_id: str = Field(foreign_key="subscriptions.id", unique=True, max_length=32)
    listing_id: str = Field(foreign_key="listings.id", index=True, max_length=32)
    user_id: str = Field(foreign_key="users.id", index=True, max_length=32)
    workspace_id: str = Field(foreign_key="workspaces.id", index=True, max_length=32)
    provider: str = Field(default="test", max_length=10)
    plan_kind: str = Field(max_length=10)
    currency: str = Field(default="usd", max_length=3)
    monthly_price_cents: int = _cents()
    price_per_run_cents: int = _cents()
    included_runs: int = 0
    platform_fee_bps: int = 2000  # basis points: 2000 = 20 %
    status: str = Field(default="incomplete", index=True, max_length=12)
    current_period_start: datetime | None = None
    current_period_end: datetime | None = Field(default=None, index=True)
    cancel_at_period_end: bool = False
    past_due_since: datetime | None = None
    canceled_at: datetime | None = None
    stripe_subscription_id: str | None = Field(default=None, unique=True, max_length=255)
    stripe_checkout_session_id: str | None = Field(default=None, unique=True, max_length=255)
    created_at: datetime = Field(default_factory=utcnow)
    updated_at: datetime = Field(default_factory=utcnow)


class BillingPeriod(SQLModel, table=True):
    """One billing period of a subscription: ``runs`` charged in it (``metered_runs`` of them
    beyond ``included_runs``) and their LLM cost in nano-USD. ``status``: ``open`` → ``closed``
    (invoiced)."""

    __tablename__ = "billing_periods"
    __table_args__ = (UniqueConstraint("billing_subscription_id", "period_start", name="uq_billing_period_start"),)

    id: str = Field(default_factory=new_id, primary_key=True, max_length=32)
    billing_subscription_id: str = Field(foreign_key="billing_subscriptions.id", index=True, max_length=32)
    period_start: datetime
    period_end: datetime
    runs: int = 0
    metered_runs: int = 0
    llm_cost_nano_usd: int = _cents()
    status: str = Field(default="open", max_length=8)
    closed_at: datetime | None = None


class RunCharge(SQLModel, table=True):
    """One charged run of a paid subscription (unique ``run_id``: charged once), made from the
    run's first billable usage record (``usage_record_id``, the Meter Event ``identifier``).
    ``metered`` runs (beyond the included quota, or every run of a per-run plan) cost
    ``amount_cents``; ``meter_sent_at`` is set once Stripe accepted the Meter Event
    (``meter_attempts``/``meter_error``/``meter_next_attempt_at`` drive retries with backoff)."""

    __tablename__ = "run_charges"

    id: str = Field(default_factory=new_id, primary_key=True, max_length=32)
    run_id: str = Field(unique=True, max_length=32)
    usage_record_id: str = Field(foreign_key="usage_records.id", unique=True, max_length=32)
    billing_subscription_id: str = Field(foreign_key="billing_subscriptions.id", index=True, max_length=32)
    period_id: str = Field(foreign_key="billing_periods.id", index=True, max_length=32)
    occurred_at: datetime = Field(index=True)
    metered: bool = False
    amount_cents: int = _cents()
    llm_cost_nano_usd: int = _cents()
    meter_sent_at: datetime | None = Field(default=None, index=True)
    meter_attempts: int = 0
    meter_error: str = Field(default="", max_length=500)
    meter_next_attempt_at: datetime | None = None
    created_at: datetime = Field(default_factory=utcnow)


class Invoice(SQLModel, table=True):
    """What a subscriber owes for one period (``status``: ``draft``, ``open``, ``paid``, ``void``,
    ``uncollectible``); totals in cents of ``currency``."""

    __tablename__ = "invoices"

    id: str = Field(default_factory=new_id, primary_key=True, max_length=32)
    number: str = Field(unique=True, max_length=40)
    billing_subscription_id: str = Field(foreign_key="billing_subscriptions.id", index=True, max_length=32)
    period_id: str | None = Field(default=None, foreign_key="billing_periods.id", unique=True, max_length=32)
    user_id: str = Field(foreign_key="users.id", index=True, max_length=32)
    workspace_id: str = Field(foreign_key="workspaces.id", index=True, max_length=32)
    listing_id: str = Field(foreign_key="listings.id", index=True, max_length=32)
    currency: str = Field(default="usd", max_length=3)
    subtotal_cents: int = _cents()
    total_cents: int = _cents()
    status: str = Field(default="open", max_length=14)
    period_start: datetime
    period_end: datetime
    stripe_invoice_id: str | None = Field(default=None, unique=True, max_length=255)
    issued_at: datetime = Field(default_factory=utcnow)
    paid_at: datetime | None = None


class InvoiceLineItem(SQLModel, table=True):
    """One line of an invoice: ``kind`` ``subscription`` (the flat monthly price) or ``usage``
    (``quantity`` metered runs × ``unit_amount_cents``)."""

    __tablename__ = "invoice_line_items"

    id: str = Field(default_factory=new_id, primary_key=True, max_length=32)
    invoice_id: str = Field(foreign_key="invoices.id", index=True, max_length=32)
    kind: str = Field(max_length=12)
    description: str = Field(max_length=200)
    quantity: int = 1
    unit_amount_cents: int = _cents()
    amount_cents: int = _cents()


class PublisherEarning(SQLModel, table=True):
    """A publisher's share of one paid invoice: ``gross_cents`` = invoice total,
    ``platform_fee_cents`` = gross × fee (rounded half up), ``net_cents`` = gross − fee."""

    __tablename__ = "publisher_earnings"

    id: str = Field(default_factory=new_id, primary_key=True, max_length=32)
    invoice_id: str = Field(foreign_key="invoices.id", unique=True, max_length=32)
    workspace_id: str = Field(foreign_key="workspaces.id", index=True, max_length=32)
    listing_id: str = Field(foreign_key="listings.id", index=True, max_length=32)
    billing_subscription_id: str = Field(foreign_key="billing_subscriptions.id", max_length=32)
    currency: str = Field(default="usd", max_length=3)
    gross_cents: int = _cents()
    platform_fee_cents: int = _cents()
    net_cents: int = _cents()
    payout_id: str | None = Field(default=None, foreign_key="payouts.id", max_length=32)
    earned_at: datetime = Field(default_factory=utcnow, index=True)


class Payout(SQLModel, table=True):
    """Money sent to a publisher (``status``: ``pending``, ``paid``, ``failed``); in Stripe mode
    Connect transfers do it and ``stripe_transfer_id`` names the transfer."""

    __tablename__ = "payouts"

    id: str = Field(default_factory=new_id, primary_key=True, max_length=32)
    workspace_id: str = Field(foreign_key="workspaces.id", index=True, max_length=32)
    currency: str = Field(default="usd", max_length=3)
    amount_cents: int = _cents()
    status: str = Field(default="pending", max_length=10)
    stripe_transfer_id: str | None = Field(default=None, unique=True, max_length=255)
    created_at: datetime = Field(default_factory=utcnow)
    paid_at: datetime | None = None


class StripeEvent(SQLModel, table=True):
    """A verified Stripe webhook event, stored once (primary key = Stripe's event id) and
    processed in one transaction (``processed_at``; ``error`` of the last failed attempt)."""

    __tablename__ = "stripe_events"

    id: str = Field(primary_key=True, max_length=255)
    type: str = Field(max_length=100)
    stripe_created: int = Field(default=0, sa_column=Column(BigInteger, nullable=False, default=0))
    payload: dict[str, Any] = Field(default_factory=dict, sa_column=Column(JSON, nullable=False))
    received_at: datetime = Field(default_factory=utcnow)
    processed_at: datetime | None = None
    error: str = Field(default="", sa_column=Column(Text, nullable=False, default=""))
