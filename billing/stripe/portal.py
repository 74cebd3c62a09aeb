"""Stripe's Customer Portal: where a subscriber updates the card, sees Stripe's invoices and
cancels (Stripe then sends ``customer.subscription.updated``/``deleted`` to the webhook)."""

from __future__ import annotations

import time

from sqlmodel import Session

from backend.models import BillingCustomer
from billing.stripe.checkout import ensure_customer
from billing.stripe.client import idempotency_key, params_digest, stripe_client


def portal_url(*, customer: BillingCustomer, return_url: str, session: Session) -> str:
    """A one-time Customer Portal URL for ``customer`` (its Stripe Customer made first if missing);
    the portal's "Return" link goes to ``return_url``.

    Raises:
        StripeNotConfigured: Stripe mode is off.
        stripe.StripeError: Stripe refused (e.g. no portal configuration in the account) or could
            not be reached.
    """
    customer_id = ensure_customer(customer=customer, session=session)
    portal = stripe_client().v1.billing_portal.sessions.create(
        params={"customer": customer_id, "return_url": return_url},
        # One-time URLs: a double click within the minute gets the same session, later ones a new one.
        options={
            "idempotency_key": idempotency_key(
                "portal", customer.id, params_digest([return_url]), int(time.time()) // 60
            )
        },
    )
    return portal.url
