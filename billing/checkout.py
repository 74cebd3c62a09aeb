"""Checkout: subscribing to a paid listing opens a :class:`BillingSubscription` ``incomplete``
and sends the subscriber to pay.

* Offline test mode (no ``STRIPE_SECRET_KEY``): the local page ``/billing/checkout/<id>`` says
  "Test mode: no card is charged"; its Confirm button calls :func:`confirm_test_checkout`, which
  makes the subscription ``active`` and opens its first period.
* Stripe mode: ``billing.stripe.checkout.create_checkout_session`` returns Stripe's Checkout URL;
  Stripe's webhooks then activate the subscription (the ``stripe`` package's job).

The plan's prices are copied onto the billing subscription at checkout, so a later price change
never rewrites what a subscriber agreed to.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlmodel import Session

from backend.accounts.actor import NotFound
from backend.config import get_settings
from backend.models import Listing, Subscription
from backend.models.billing import BillingSubscription, PublisherAccount
from backend.models.common import utcnow
from billing.catalog import listing_price
from billing.entitlements import access_of
from billing.errors import BillingError
from billing.ledger import billing_subscription_for, ensure_customer, open_period
from billing.money import format_cents
from billing.settings import get_billing_settings


@dataclass(frozen=True)
class Checkout:
    """Where to send the subscriber: ``url`` (a local path in test mode, Stripe's Checkout URL in
    Stripe mode; None when the subscription is already paid for) and the billing subscription."""

    billing_subscription_id: str
    status: str
    url: str | None


@dataclass(frozen=True)
class CheckoutView:
    """The test-mode checkout page: what is bought (``plan`` a ready sentence), its prices in
    cents, whether it is still to confirm, and the listing's address."""

    id: str
    listing_title: str
    listing_slug: str
    plan: str
    currency: str
    monthly_price_cents: int
    price_per_run_cents: int
    included_runs: int
    status: str
    stripe_mode: bool


def plan_sentence(bsub: BillingSubscription) -> str:
    """``"$5.00 / month · 100 runs included · then $0.01 per run"`` or ``"$0.05 per run"``."""
    if bsub.plan_kind == "per_run":
        return f"{format_cents(bsub.price_per_run_cents, bsub.currency)} per run"
    text = f"{format_cents(bsub.monthly_price_cents, bsub.currency)} / month"
    if bsub.included_runs:
        text += f" · {bsub.included_runs:,} runs included"
    if bsub.price_per_run_cents:
        text += f" · then {format_cents(bsub.price_per_run_cents, bsub.currency)} per run"
    return text


def _copy_plan(bsub: BillingSubscription, listing: Listing) -> None:
    settings = get_billing_settings()
    bsub.provider = "stripe" if settings.stripe_mode else "test"
    bsub.plan_kind, bsub.currency = listing.plan_kind, listing.currency
    bsub.monthly_price_cents, bsub.price_per_run_cents = listing.monthly_price_cents, listing.price_per_run_cents
    bsub.included_runs, bsub.platform_fee_bps = listing.included_runs, settings.platform_fee_bps
    bsub.status, bsub.cancel_at_period_end, bsub.past_due_since, bsub.canceled_at = "incomplete", False, None, None
    bsub.current_period_start = bsub.current_period_end = None
    bsub.stripe_subscription_id = bsub.stripe_checkout_session_id = None
    bsub.updated_at = utcnow()


def start_checkout(*, subscription: Subscription, listing: Listing, session: Session) -> Checkout:
    """Open (or reopen) the checkout of a marketplace subscription to a paid listing.

    A subscription that still gives access is returned as is (``url`` None). Otherwise the
    billing subscription is created, or reset to ``incomplete`` with the listing's current
    prices (after a cancellation), and the subscriber's :class:`BillingCustomer` ensured.

    Raises:
        BillingError: the listing is free (nothing to check out).
    """
    if listing.plan_kind == "free":
        raise BillingError("This agent is free: there is nothing to pay.")
    bsub = billing_subscription_for(subscription.id, session)
    if bsub is not None and bsub.status != "incomplete" and access_of(bsub).allowed:
        return Checkout(bsub.id, bsub.status, None)
    if bsub is None:
        bsub = BillingSubscription(
            subscription_id=subscription.id,
            listing_id=listing.id,
            user_id=subscription.user_id,
            workspace_id=listing.workspace_id,
            plan_kind=listing.plan_kind,
        )
    _copy_plan(bsub, listing)
    session.add(bsub)
    session.flush()
    customer = ensure_customer(subscription.user_id, session)
    if bsub.provider != "stripe":
        return Checkout(bsub.id, bsub.status, f"/billing/checkout/{bsub.id}")
    from billing.stripe.checkout import create_checkout_session  # Stripe mode only

    base = get_settings().public_url.rstrip("/")
    publisher = _publisher_account(listing, session)
    url = create_checkout_session(
        billing_subscription=bsub,
        price=listing_price(listing, session),
        customer=customer,
        publisher=publisher,
        success_url=f"{base}/billing?checkout=done",
        cancel_url=f"{base}/marketplace/{listing.slug}",
        session=session,
    )
    return Checkout(bsub.id, bsub.status, str(url))


def _publisher_account(listing: Listing, session: Session) -> PublisherAccount | None:
    from sqlmodel import select

    return session.exec(select(PublisherAccount).where(PublisherAccount.workspace_id == listing.workspace_id)).first()


def _own(user_id: str, billing_subscription_id: str, session: Session) -> BillingSubscription:
    bsub = session.get(BillingSubscription, billing_subscription_id)
    if bsub is None or bsub.user_id != user_id:
        raise NotFound("Checkout not found.")
    return bsub


def checkout_view(*, user_id: str, billing_subscription_id: str, session: Session) -> CheckoutView:
    """The checkout page of the user's own billing subscription.

    Raises:
        NotFound: no such checkout, or another user's.
    """
    bsub = _own(user_id, billing_subscription_id, session)
    listing = session.get(Listing, bsub.listing_id)
    return CheckoutView(
        id=bsub.id,
        listing_title=listing.title if listing else "",
        listing_slug=listing.slug if listing else "",
        plan=plan_sentence(bsub),
        currency=bsub.currency,
        monthly_price_cents=bsub.monthly_price_cents,
        price_per_run_cents=bsub.price_per_run_cents,
        included_runs=bsub.included_runs,
        status=bsub.status,
        stripe_mode=bsub.provider == "stripe",
    )


def confirm_test_checkout(
    *, user_id: str, billing_subscription_id: str, session: Session, now: datetime | None = None
) -> BillingSubscription:
    """Test mode's Confirm button: the user's ``incomplete`` subscription becomes ``active`` and
    its first period opens at ``now`` (no card is charged). Confirming twice changes nothing.

    Raises:
        NotFound: not the user's checkout.
        BillingError: a Stripe-mode checkout (paid on Stripe's page), or it was canceled.
    """
    bsub = _own(user_id, billing_subscription_id, session)
    if bsub.provider != "test":
        raise BillingError("This checkout is paid on Stripe's page, not here.")
    if bsub.status != "incomplete":
        if bsub.status in ("active", "trialing"):
            return bsub
        raise BillingError("This checkout was canceled. Subscribe again from the listing's page.")
    sub = session.get(Subscription, bsub.subscription_id)
    if sub is None or sub.status != "active":
        raise BillingError("This checkout was canceled. Subscribe again from the listing's page.")
    bsub.status = "active"
    open_period(bsub, now or utcnow(), session)
    return bsub
