"""Stripe Checkout for a paid listing: the Stripe Customer of the subscriber, then a Checkout
Session in ``subscription`` mode whose subscription carries our billing subscription's id, the
listing's monthly and metered Prices, and (for a publisher with a connected account) Stripe
Connect's destination charge: ``application_fee_percent`` (the platform's share) and
``transfer_data.destination`` (the publisher's account gets the rest).
"""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from sqlmodel import Session

from backend.models import BillingCustomer, BillingSubscription, ListingPrice, PublisherAccount, User
from billing.stripe.client import idempotency_key, params_digest, stripe_client


class CheckoutUnavailable(ValueError):
    """The listing's prices are not ready in Stripe or differ from the subscription's; ``str()`` is
    a sentence fit to show the subscriber."""


def fee_percent(fee_bps: int) -> str:
    """Basis points as Stripe's ``application_fee_percent`` string: ``2000`` -> ``"20"``,
    ``1250`` -> ``"12.5"`` (at most two decimals, as Stripe accepts)."""
    return format((Decimal(fee_bps) / 100).normalize(), "f")


def ensure_customer(*, customer: BillingCustomer, session: Session) -> str:
    """The Stripe Customer id of ``customer``, created (with the user's email) when missing and
    stored on the row (added to ``session``).

    Raises:
        stripe.StripeError: Stripe refused or could not be reached.
    """
    if customer.stripe_customer_id:
        return customer.stripe_customer_id
    user = session.get(User, customer.user_id)
    created = stripe_client().v1.customers.create(
        params={
            "email": user.email if user else "",
            "metadata": {"billing_customer_id": customer.id, "user_id": customer.user_id},
        },
        options={"idempotency_key": idempotency_key("customer", customer.id)},
    )
    customer.stripe_customer_id = created.id
    session.add(customer)
    session.flush()
    return created.id


def _line_items(sub: BillingSubscription, price: ListingPrice) -> list[dict[str, Any]]:
    items: list[dict[str, Any]] = []
    if sub.monthly_price_cents > 0:
        if not price.stripe_monthly_price_id or price.monthly_price_cents != sub.monthly_price_cents:
            raise CheckoutUnavailable("This plan's monthly price is not ready for payment yet. Try again shortly.")
        items.append({"price": price.stripe_monthly_price_id, "quantity": 1})
    if sub.price_per_run_cents > 0:
        if not price.stripe_metered_price_id or price.price_per_run_cents != sub.price_per_run_cents:
            raise CheckoutUnavailable("This plan's per-run price is not ready for payment yet. Try again shortly.")
        items.append({"price": price.stripe_metered_price_id})  # metered: no quantity
    if not items:
        raise CheckoutUnavailable("This plan has no price to pay.")
    return items


def create_checkout_session(
    *,
    billing_subscription: BillingSubscription,
    price: ListingPrice,
    customer: BillingCustomer,
    publisher: PublisherAccount | None,
    success_url: str,
    cancel_url: str,
    session: Session,
) -> str:
    """Start Stripe Checkout for ``billing_subscription`` and return the Checkout page's URL.

    The session (mode ``subscription``) has the monthly Price (quantity 1) and the metered Price
    (no quantity) of ``price`` for the amounts copied on the subscription;
    ``client_reference_id`` and the metadata of the session and of the subscription it creates
    carry ``billing_subscription.id`` (the webhook links them back). When ``publisher`` has a
    connected account with charges enabled, ``subscription_data`` carries
    ``application_fee_percent`` (``billing_subscription.platform_fee_bps`` / 100) and
    ``transfer_data.destination``. The session id is stored on the row (added to ``session``).

    Raises:
        CheckoutUnavailable: the Stripe Prices are missing or differ from the subscription's amounts.
        StripeNotConfigured: Stripe mode is off.
        stripe.StripeError: Stripe refused or could not be reached.
    """
    items = _line_items(billing_subscription, price)
    customer_id = ensure_customer(customer=customer, session=session)
    ours = {"billing_subscription_id": billing_subscription.id}
    subscription_data: dict[str, Any] = {"metadata": ours}
    if publisher is not None and publisher.stripe_account_id and publisher.charges_enabled:
        subscription_data["application_fee_percent"] = fee_percent(billing_subscription.platform_fee_bps)
        subscription_data["transfer_data"] = {"destination": publisher.stripe_account_id}
    params: dict[str, Any] = {
        "mode": "subscription",
        "customer": customer_id,
        "client_reference_id": billing_subscription.id,
        "metadata": ours,
        "line_items": items,
        "subscription_data": subscription_data,
        "success_url": success_url,
        "cancel_url": cancel_url,
    }
    # Same rows and parameters -> same key (a retried click gets the same session); anything
    # changed (a new price, a connected publisher) -> a new session.
    checkout = stripe_client().v1.checkout.sessions.create(
        params=params,  # type: ignore[arg-type]
        options={"idempotency_key": idempotency_key("checkout", billing_subscription.id, params_digest(params))},
    )
    billing_subscription.stripe_checkout_session_id = checkout.id
    session.add(billing_subscription)
    session.flush()
    return checkout.url or ""
