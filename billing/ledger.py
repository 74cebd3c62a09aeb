"""Shared ledger helpers: billing subscriptions by marketplace subscription, periods, customers,
and ending the marketplace side of a subscription whose billing ended.

Billing never imports the marketplace package (layers: marketplace -> billing -> backend); it
reads and writes the marketplace's tables (``backend.models``) directly where the ledger decides.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy import update
from sqlmodel import Session, col, select

from backend.models import AgentGrant, Listing, Subscription
from backend.models.billing import BillingCustomer, BillingPeriod, BillingSubscription
from backend.models.common import utcnow
from billing.settings import get_billing_settings


def billing_subscription_for(subscription_id: str, session: Session) -> BillingSubscription | None:
    """The billing side of a marketplace subscription, or None (free plan, never checked out)."""
    return session.exec(
        select(BillingSubscription).where(BillingSubscription.subscription_id == subscription_id)
    ).first()


def ensure_customer(user_id: str, session: Session) -> BillingCustomer:
    """The user's :class:`BillingCustomer` (created on first checkout; one per user)."""
    customer = session.exec(select(BillingCustomer).where(BillingCustomer.user_id == user_id)).first()
    if customer is None:
        customer = BillingCustomer(user_id=user_id)
        session.add(customer)
        session.flush()
    return customer


def open_period(bsub: BillingSubscription, start: datetime, session: Session) -> BillingPeriod:
    """Open the subscription's period starting at ``start`` (``AGENTHUB_BILLING_PERIOD_DAYS``
    long, offline mode) and point ``current_period_*`` at it. Returns the new period row."""
    end = start + timedelta(days=get_billing_settings().period_days)
    period = BillingPeriod(billing_subscription_id=bsub.id, period_start=start, period_end=end)
    session.add(period)
    bsub.current_period_start, bsub.current_period_end, bsub.updated_at = start, end, utcnow()
    session.add(bsub)
    session.flush()
    return period


def open_period_of(billing_subscription_id: str, session: Session) -> BillingPeriod | None:
    """The subscription's ``open`` period (the newest), or None."""
    return session.exec(
        select(BillingPeriod)
        .where(BillingPeriod.billing_subscription_id == billing_subscription_id, BillingPeriod.status == "open")
        .order_by(col(BillingPeriod.period_start).desc())
    ).first()


def end_marketplace_subscription(subscription_id: str, session: Session) -> None:
    """The billing of a subscription ended (canceled at period end, unpaid beyond the grace
    period, or a checkout abandoned): revoke its agent grant and mark the marketplace
    subscription ``canceled`` (as ``marketplace.subscriptions.unsubscribe`` does; history stays)."""
    sub = session.get(Subscription, subscription_id)
    if sub is None or sub.status != "active":
        return
    grant = session.get(AgentGrant, sub.grant_id) if sub.grant_id else None
    if grant is not None and grant.revoked_at is None:
        grant.revoked_at = utcnow()
        session.add(grant)
    sub.status, sub.canceled_at = "canceled", utcnow()
    session.add(sub)
    session.execute(
        update(Listing)
        .where(col(Listing.id) == sub.listing_id)
        .values(subscriber_count=col(Listing.subscriber_count) - 1)
    )
    session.flush()
