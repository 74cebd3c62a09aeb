"""A paid listing's prices in Stripe: one Product, a flat monthly Price, and for per-run charges a
Billing Meter with a metered Price backed by it (Stripe's usage-based billing: the meter sums the
``value`` of the Meter Events sent for a customer; the metered Price bills that sum).

Stripe prices are immutable: a changed amount creates a new Price and archives the old one
(``active=false``; subscriptions on it keep it). Amounts are integer cents of ``price.currency``.
"""

from __future__ import annotations

from typing import Any

import stripe
from sqlmodel import Session

from backend.models import Listing, ListingPrice
from backend.models.common import utcnow
from billing.catalog import meter_event_name
from billing.stripe.client import idempotency_key, stripe_client


def _product(client: stripe.StripeClient, listing: Listing, price: ListingPrice) -> str:
    params: Any = {"name": listing.title[:250], "metadata": {"listing_id": listing.id}}
    if price.stripe_product_id:
        client.v1.products.update(price.stripe_product_id, params={"name": params["name"]})
        return price.stripe_product_id
    product = client.v1.products.create(
        params=params, options={"idempotency_key": idempotency_key("product", listing.id)}
    )
    return product.id


def _meter(client: stripe.StripeClient, listing: Listing, price: ListingPrice) -> str:
    if price.stripe_meter_id:
        return price.stripe_meter_id
    meter = client.v1.billing.meters.create(
        params={
            "display_name": f"Runs of {listing.title}"[:250],
            "event_name": price.meter_event_name,
            "default_aggregation": {"formula": "sum"},
            "customer_mapping": {"type": "by_id", "event_payload_key": "stripe_customer_id"},
            "value_settings": {"event_payload_key": "value"},
        },
        options={"idempotency_key": idempotency_key("meter", listing.id)},
    )
    return meter.id


def _price(
    client: stripe.StripeClient,
    *,
    kind: str,
    current_id: str | None,
    amount_cents: int,
    price: ListingPrice,
    recurring: Any,
) -> str | None:
    """The id of an active Stripe Price of ``amount_cents`` (None when the amount is 0): the current
    one if it still matches, else a new one (the old one archived)."""
    if current_id:
        existing = client.v1.prices.retrieve(current_id)
        if existing.unit_amount == amount_cents and existing.currency == price.currency and amount_cents > 0:
            return current_id
        if existing.active:
            client.v1.prices.update(current_id, params={"active": False})
    if amount_cents <= 0:
        return None
    created = client.v1.prices.create(
        params={
            "product": price.stripe_product_id or "",
            "currency": price.currency,
            "unit_amount": amount_cents,
            "recurring": recurring,
            "nickname": "Monthly" if kind == "monthly" else "Per run",
            "metadata": {"listing_id": price.listing_id, "kind": kind},
        },
        options={"idempotency_key": idempotency_key(f"price-{kind}", price.id, current_id or "new", amount_cents)},
    )
    return created.id


def sync_listing_prices(*, listing: Listing, price: ListingPrice, session: Session) -> None:
    """Create or update the listing's Product, monthly Price, Billing Meter and metered Price in
    Stripe and store their ids on ``price`` (added to ``session``; the caller commits).

    Args:
        listing: The listing (its title names the Product).
        price: Its prices in cents: ``monthly_price_cents`` > 0 makes a monthly licensed Price;
            ``price_per_run_cents`` > 0 makes a Meter (``meter_event_name``, set to
            :func:`meter_event_name` when empty) and a monthly metered Price on it. A changed
            amount makes a new Price and archives the old one; an amount set to 0 archives it.
        session: The caller's transaction.

    Raises:
        StripeNotConfigured: Stripe mode is off.
        stripe.StripeError: Stripe refused or could not be reached (ids made so far stay on
            ``price``; every create carries an idempotency key from our ids, so a retry reuses them).
    """
    client = stripe_client()
    if not price.meter_event_name:
        price.meter_event_name = meter_event_name(listing.id)
    price.stripe_product_id = _product(client, listing, price)
    session.add(price)
    price.stripe_monthly_price_id = _price(
        client,
        kind="monthly",
        current_id=price.stripe_monthly_price_id,
        amount_cents=price.monthly_price_cents,
        price=price,
        recurring={"interval": "month", "usage_type": "licensed"},
    )
    if price.price_per_run_cents > 0:
        price.stripe_meter_id = _meter(client, listing, price)
    price.stripe_metered_price_id = _price(
        client,
        kind="metered",
        current_id=price.stripe_metered_price_id,
        amount_cents=price.price_per_run_cents,
        price=price,
        recurring={"interval": "month", "usage_type": "metered", "meter": price.stripe_meter_id or ""},
    )
    price.synced_at = utcnow()
    session.add(price)
    session.flush()
