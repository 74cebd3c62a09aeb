"""Helpers of the Stripe-mode tests: the local Stripe server with billing pointed at it, a paid
listing with a subscriber's billing rows, metered run charges, and the webhook route served over
real HTTP.

    from tests.support.stripe_billing import stripe_mode, webhook_url  # noqa: F401  (fixtures)
"""

from __future__ import annotations

import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import datetime, timedelta

import pytest
from sqlalchemy import update
from sqlmodel import col
from starlette.applications import Starlette

from backend.accounts.actor import Actor
from backend.db import session_scope
from backend.models import (
    AgentGrant,
    BillingCustomer,
    BillingPeriod,
    BillingSubscription,
    Listing,
    PublisherAccount,
    RunCharge,
    Subscription,
    UsageRecord,
)
from backend.models.common import utcnow
from billing.catalog import listing_price
from tests.support.api import serve
from tests.support.marketplace import listing, publisher_connection
from tests.support.stripe_server import StripeTestServer


@pytest.fixture
def stripe_mode(monkeypatch: pytest.MonkeyPatch) -> Iterator[StripeTestServer]:
    """A fresh local Stripe server; ``STRIPE_SECRET_KEY``/``STRIPE_WEBHOOK_SECRET``/``STRIPE_API_BASE``
    point billing at it for the test. Unsent run charges of earlier tests (the database is shared
    by the session) are parked far in the future so each test's metering sees only its own."""
    from billing.settings import get_billing_settings
    from billing.stripe import metering

    with session_scope() as s:
        s.execute(
            update(RunCharge)
            .where(col(RunCharge.meter_sent_at).is_(None))
            .values(meter_next_attempt_at=utcnow() + timedelta(days=3650))
        )

    with StripeTestServer() as server:
        monkeypatch.setenv("STRIPE_SECRET_KEY", server.api_key)
        monkeypatch.setenv("STRIPE_WEBHOOK_SECRET", server.webhook_secret)
        monkeypatch.setenv("STRIPE_API_BASE", server.base_url)
        get_billing_settings.cache_clear()
        metering._tokens.clear()
        yield server
    monkeypatch.undo()
    get_billing_settings.cache_clear()
    metering._tokens.clear()


@pytest.fixture
def webhook_url() -> Iterator[str]:
    """The URL of ``POST /api/billing/stripe/webhook`` served over real HTTP."""
    from billing.stripe.webhooks import routes

    with serve(Starlette(routes=routes)) as base:
        yield f"{base}/api/billing/stripe/webhook"


@dataclass(frozen=True)
class PaidSetup:
    """A publisher's paid listing with synced-or-not prices and one subscriber's billing rows."""

    publisher: Actor
    subscriber: Actor
    listing_id: str
    price_id: str
    billing_subscription_id: str
    customer_id: str
    publisher_account_id: str
    subscription_id: str


def paid_listing(
    make_actor: Callable[[], Actor],
    *,
    monthly_cents: int = 900,
    per_run_cents: int = 5,
    fee_bps: int = 2000,
    provider: str = "stripe",
) -> PaidSetup:
    """A listing (monthly plan) whose :class:`ListingPrice` has both a monthly and a per-run
    price, a subscriber with an active marketplace subscription (and grant), an ``incomplete``
    billing subscription copying those prices, a billing customer, a publisher account."""
    publisher, subscriber = make_actor(), make_actor()
    row = listing(publisher, publisher_connection(publisher), plan_kind="monthly", monthly_price_cents=monthly_cents)
    with session_scope() as s:
        # publishing a paid listing already recorded its ListingPrice (billing.catalog): add the run price
        price = listing_price(s.get(Listing, row.id), s)  # type: ignore[arg-type]
        price.monthly_price_cents, price.price_per_run_cents = monthly_cents, per_run_cents
        grant = AgentGrant(
            agent_id=row.agent_id, owner_workspace_id=publisher.workspace_id, grantee_user_id=subscriber.user_id
        )
        s.add_all([price, grant])
        s.flush()
        version_id = s.get(Listing, row.id).version_id  # type: ignore[union-attr]
        sub = Subscription(
            listing_id=row.id, user_id=subscriber.user_id, grant_id=grant.id, blueprint_version_id=version_id
        )
        s.add(sub)
        s.flush()
        bsub = BillingSubscription(
            subscription_id=sub.id,
            listing_id=row.id,
            user_id=subscriber.user_id,
            workspace_id=publisher.workspace_id,
            provider=provider,
            plan_kind="monthly",
            monthly_price_cents=monthly_cents,
            price_per_run_cents=per_run_cents,
            platform_fee_bps=fee_bps,
        )
        customer = BillingCustomer(user_id=subscriber.user_id)
        account = PublisherAccount(workspace_id=publisher.workspace_id)
        s.add_all([bsub, customer, account])
        s.flush()
        return PaidSetup(publisher, subscriber, row.id, price.id, bsub.id, customer.id, account.id, sub.id)


def open_period(billing_subscription_id: str, start: datetime, days: int = 30) -> str:
    """A billing period of the subscription starting at ``start``; returns its id."""
    with session_scope() as s:
        period = BillingPeriod(
            billing_subscription_id=billing_subscription_id, period_start=start, period_end=start + timedelta(days=days)
        )
        s.add(period)
        s.flush()
        return period.id


def run_charges(
    setup: PaidSetup, period_id: str, count: int, *, metered: bool = True, at: datetime | None = None
) -> list[str]:
    """``count`` charged runs of the subscriber (each with its own usage record); returns the
    usage record ids (the Meter Events' identifiers), oldest first."""
    ids = []
    with session_scope() as s:
        base = at or utcnow() - timedelta(minutes=10)
        for i in range(count):
            run_id = uuid.uuid4().hex
            record = UsageRecord(workspace_id=setup.publisher.workspace_id, run_id=run_id, caller_kind="grant")
            s.add(record)
            s.flush()
            s.add(
                RunCharge(
                    run_id=run_id,
                    usage_record_id=record.id,
                    billing_subscription_id=setup.billing_subscription_id,
                    period_id=period_id,
                    occurred_at=base + timedelta(seconds=i),
                    metered=metered,
                    amount_cents=5 if metered else 0,
                )
            )
            ids.append(record.id)
    return ids
