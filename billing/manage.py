"""A subscriber manages their paid subscriptions: cancel at period end (and undo it), or drop
a checkout they never finished."""

from __future__ import annotations

from datetime import datetime

from sqlmodel import Session

from backend.accounts.actor import NotFound
from backend.models.billing import BillingSubscription
from backend.models.common import utcnow
from billing.errors import BillingError
from billing.ledger import end_marketplace_subscription


def _own(user_id: str, billing_subscription_id: str, session: Session) -> BillingSubscription:
    bsub = session.get(BillingSubscription, billing_subscription_id)
    if bsub is None or bsub.user_id != user_id:
        raise NotFound("Subscription not found.")
    return bsub


def cancel_subscription(
    *, user_id: str, billing_subscription_id: str, session: Session, now: datetime | None = None
) -> BillingSubscription:
    """Cancel the user's subscription: a paid one at the end of the current period (it keeps
    working until then; ``agenthub billing tick`` ends it), an unfinished checkout at once
    (the agent grant is revoked). Canceling twice changes nothing.

    Raises:
        NotFound: not the user's subscription.
        BillingError: a Stripe-mode subscription (canceled in Stripe's customer portal).
    """
    bsub = _own(user_id, billing_subscription_id, session)
    if bsub.status == "canceled" or bsub.cancel_at_period_end:
        return bsub
    if bsub.provider == "stripe" and bsub.status != "incomplete":
        raise BillingError("Cancel this subscription in Manage cards and invoices (Stripe's customer portal).")
    now = now or utcnow()
    if bsub.status == "incomplete":
        bsub.status, bsub.canceled_at = "canceled", now
        end_marketplace_subscription(bsub.subscription_id, session)
    else:
        bsub.cancel_at_period_end = True
    bsub.updated_at = now
    session.add(bsub)
    session.flush()
    return bsub


def keep_subscription(*, user_id: str, billing_subscription_id: str, session: Session) -> BillingSubscription:
    """Undo a cancellation at period end while the period runs.

    Raises:
        NotFound: not the user's subscription. BillingError: it already ended, or Stripe mode.
    """
    bsub = _own(user_id, billing_subscription_id, session)
    if bsub.status == "canceled":
        raise BillingError("This subscription has ended. Subscribe again from the listing's page.")
    if bsub.provider == "stripe":
        raise BillingError("Change this subscription in Manage cards and invoices (Stripe's customer portal).")
    bsub.cancel_at_period_end, bsub.updated_at = False, utcnow()
    session.add(bsub)
    session.flush()
    return bsub
