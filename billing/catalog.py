"""A paid listing's prices in the ledger (:class:`ListingPrice`), synced to Stripe in Stripe mode.

The marketplace calls :func:`listing_prices_changed` after publishing a listing or saving a
published one; in Stripe mode it calls ``billing.stripe.catalog.sync_listing_prices``, which
creates the Stripe Product, Prices and Meter and fills the ``stripe_*`` ids.
"""

from __future__ import annotations

from sqlmodel import Session, select

from backend.models import Listing
from backend.models.billing import ListingPrice
from backend.models.common import utcnow
from billing.settings import get_billing_settings


def meter_event_name(listing_id: str) -> str:
    """The Meter Events' ``event_name`` of one listing: ``agenthub_run_<listing id>`` (its Billing Meter)."""
    return f"agenthub_run_{listing_id}"


def listing_price(listing: Listing, session: Session) -> ListingPrice:
    """The listing's :class:`ListingPrice`, created or updated to its current plan fields (cents)."""
    price = session.exec(select(ListingPrice).where(ListingPrice.listing_id == listing.id)).first()
    new = price is None
    if price is None:
        price = ListingPrice(listing_id=listing.id, meter_event_name=meter_event_name(listing.id))
    changed = new or (price.currency, price.monthly_price_cents, price.price_per_run_cents, price.included_runs) != (
        listing.currency,
        listing.monthly_price_cents,
        listing.price_per_run_cents,
        listing.included_runs,
    )
    if changed:
        price.currency, price.monthly_price_cents = listing.currency, listing.monthly_price_cents
        price.price_per_run_cents, price.included_runs = listing.price_per_run_cents, listing.included_runs
        session.add(price)
        session.flush()
    return price


def listing_prices_changed(*, listing: Listing, session: Session) -> None:
    """Record a paid listing's prices (nothing for a free or unpublished listing); in Stripe mode
    sync them to Stripe in the caller's transaction."""
    if listing.plan_kind == "free" or listing.status not in ("published", "unlisted"):
        return
    price = listing_price(listing, session)
    if get_billing_settings().stripe_mode:
        from billing.stripe.catalog import sync_listing_prices  # Stripe mode only

        sync_listing_prices(listing=listing, price=price, session=session)
        price.synced_at = utcnow()
        session.add(price)
