"""Copy a Stripe Subscription onto our :class:`BillingSubscription` (and, when it ends, onto the
marketplace subscription through backend models only).

Always from a Subscription just retrieved from Stripe, never from an event's snapshot, so
duplicated and out-of-order webhook deliveries converge to Stripe's current state.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from sqlmodel import Session, select

from backend.models import BillingCustomer, BillingSubscription
from backend.models.common import utcnow
from billing.ledger import end_marketplace_subscription

STATUS_FROM_STRIPE = {
    "incomplete": "incomplete",
    "incomplete_expired": "canceled",
    "trialing": "trialing",
    "active": "active",
    "past_due": "past_due",
    "unpaid": "past_due",
    "paused": "past_due",
    "canceled": "canceled",
}
"""Stripe's subscription statuses -> ours (``BILLING_STATUSES``): ``unpaid`` and ``paused`` (no
payment collected) count as ``past_due`` (access through the grace period);
``incomplete_expired`` (checkout never paid) as ``canceled``."""


def from_epoch(value: Any) -> datetime | None:
    """A Stripe Unix timestamp (seconds) as an aware UTC datetime (None stays None)."""
    return datetime.fromtimestamp(int(value), UTC) if value else None


def may_link(row: BillingSubscription, stripe_sub: dict[str, Any]) -> bool:
    """Whether ``stripe_sub`` may become the row's Stripe subscription: the row has none or this
    one, or its current one never started or ended (a subscriber who subscribes again after
    canceling gets a new Stripe subscription for the same row) and this one is live."""
    if row.stripe_subscription_id in (None, stripe_sub["id"]):
        return True
    live = STATUS_FROM_STRIPE.get(str(stripe_sub.get("status"))) not in (None, "canceled")
    return row.status in ("incomplete", "canceled") and live


def find_billing_subscription(stripe_sub: dict[str, Any], session: Session) -> BillingSubscription | None:
    """Our row of a Stripe Subscription: by ``stripe_subscription_id``, else by the
    ``billing_subscription_id`` metadata checkout put on it (then linked when :func:`may_link`).
    None: not ours (another app on the same Stripe account), or a superseded subscription."""
    row = session.exec(
        select(BillingSubscription).where(BillingSubscription.stripe_subscription_id == stripe_sub["id"])
    ).first()
    if row is not None:
        return row
    ours = (stripe_sub.get("metadata") or {}).get("billing_subscription_id")
    row = session.get(BillingSubscription, ours) if ours else None
    if row is None or not may_link(row, stripe_sub):
        return None
    if row.stripe_subscription_id != stripe_sub["id"]:
        row.stripe_subscription_id = stripe_sub["id"]
        row.canceled_at = row.past_due_since = None
    return row


def link_customer(row: BillingSubscription, customer_id: str | None, session: Session) -> None:
    """Store the Stripe Customer id on the subscriber's :class:`BillingCustomer` when missing."""
    if not customer_id:
        return
    customer = session.exec(select(BillingCustomer).where(BillingCustomer.user_id == row.user_id)).first()
    if customer is None:
        session.add(BillingCustomer(user_id=row.user_id, stripe_customer_id=customer_id))
    elif customer.stripe_customer_id is None:
        customer.stripe_customer_id = customer_id
        session.add(customer)


def _period(stripe_sub: Any) -> tuple[datetime | None, datetime | None]:
    items = (stripe_sub.get("items") or {}).get("data") or []
    starts = [i["current_period_start"] for i in items if i.get("current_period_start")]
    ends = [i["current_period_end"] for i in items if i.get("current_period_end")]
    start = min(starts) if starts else stripe_sub.get("current_period_start")
    end = max(ends) if ends else stripe_sub.get("current_period_end")
    return from_epoch(start), from_epoch(end)


def apply_subscription(row: BillingSubscription, stripe_sub: Any, session: Session) -> None:
    """Copy status, current period and ``cancel_at_period_end`` from a freshly retrieved Stripe
    Subscription; ``past_due_since`` is set when it turns past due (kept while it stays so,
    cleared when paid); ``canceled_at`` when it ends (Stripe's ``ended_at``), which also cancels
    the marketplace subscription. A subscription set to cancel at the period end stays
    ``active`` with ``cancel_at_period_end`` until Stripe ends it."""
    now = utcnow()
    status = STATUS_FROM_STRIPE.get(str(stripe_sub.get("status")), row.status)
    row.current_period_start, row.current_period_end = _period(stripe_sub)
    row.cancel_at_period_end = bool(stripe_sub.get("cancel_at_period_end"))
    if status == "past_due":
        row.past_due_since = row.past_due_since or now
    else:
        row.past_due_since = None
    if status == "canceled":
        row.canceled_at = (
            row.canceled_at or from_epoch(stripe_sub.get("ended_at") or stripe_sub.get("canceled_at")) or now
        )
        end_marketplace_subscription(row.subscription_id, session)
    else:
        row.canceled_at = None
    row.status = status
    row.updated_at = now
    link_customer(row, stripe_sub.get("customer"), session)
    session.add(row)
