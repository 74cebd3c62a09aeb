"""A subscriber manages their paid subscriptions: cancel at period end (and undo it), or drop
a checkout they never finished; in Stripe mode the Customer Portal and, for publishers, the
Connect onboarding link."""

from __future__ import annotations

from datetime import datetime

from sqlmodel import Session, select

from backend.accounts import audit, permissions
from backend.accounts.actor import Actor, NotFound
from backend.models.billing import BillingCustomer, BillingSubscription, PublisherAccount
from backend.models.common import utcnow
from billing.errors import BillingError
from billing.ledger import end_marketplace_subscription
from billing.settings import get_billing_settings


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


def customer_portal_url(*, user_id: str, return_url: str, session: Session) -> str:
    """Stripe mode: the Customer Portal of the user (cards, invoices, cancel) for the
    "Manage cards and invoices" button (``billing.stripe.portal.portal_url``).

    Raises:
        BillingError: test mode (no portal: nothing is charged), or the user never checked out.
    """
    if not get_billing_settings().stripe_mode:
        raise BillingError("Test mode: no card is stored, so there is nothing to manage.")
    customer = session.exec(select(BillingCustomer).where(BillingCustomer.user_id == user_id)).first()
    if customer is None:
        raise BillingError("You have no paid subscription yet.")
    from billing.stripe.portal import portal_url  # Stripe mode only

    return str(portal_url(customer=customer, return_url=return_url, session=session))


def payout_onboarding_url(*, actor: Actor, refresh_url: str, return_url: str, session: Session) -> str:
    """Stripe mode: the Connect onboarding link of the actor's workspace's payout account
    (created on first use), for the Earnings page (``billing.stripe.connect.onboarding_link``).
    Audited as ``billing.payouts_setup`` (in the caller's transaction).

    Raises:
        PermissionDenied: not an owner of the workspace (``billing.manage``).
        BillingError: test mode (payouts are simulated).
    """
    permissions.require(actor, permissions.BILLING_MANAGE, session, "Only the workspace's owners set up payouts.")
    if not get_billing_settings().stripe_mode:
        raise BillingError("Test mode: payouts are simulated, there is no account to set up.")
    account = session.exec(select(PublisherAccount).where(PublisherAccount.workspace_id == actor.workspace_id)).first()
    started = account is None
    if account is None:
        account = PublisherAccount(workspace_id=actor.workspace_id)
        session.add(account)
        session.flush()
    audit.record(
        session,
        actor=actor,
        action="billing.payouts_setup",
        target_kind="workspace",
        target_id=actor.workspace_id,
        summary="Started setting up payouts (Stripe Connect)" if started else "Continued setting up payouts",
    )
    from billing.stripe.connect import onboarding_link  # Stripe mode only

    return str(onboarding_link(account=account, refresh_url=refresh_url, return_url=return_url, session=session))
