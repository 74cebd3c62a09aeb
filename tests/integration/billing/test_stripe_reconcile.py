"""Reconciliation of the ledger's metered runs with Stripe's meter event summaries (real HTTP)."""

from __future__ import annotations

from collections.abc import Callable
from datetime import timedelta

from backend.accounts.actor import Actor
from backend.db import session_scope
from backend.models import BillingCustomer, BillingSubscription, Listing, ListingPrice
from backend.models.common import utcnow
from billing.stripe.catalog import sync_listing_prices
from billing.stripe.metering import send_pending_meter_events
from billing.stripe.reconcile import reconcile_stripe
from tests.support.stripe_billing import PaidSetup, open_period, paid_listing, run_charges
from tests.support.stripe_server import StripeTestServer


def _subscribed(server: StripeTestServer, make_actor: Callable[[], Actor]) -> PaidSetup:
    setup = paid_listing(make_actor)
    with session_scope() as s:
        price, listing = s.get(ListingPrice, setup.price_id), s.get(Listing, setup.listing_id)
        sync_listing_prices(listing=listing, price=price, session=s)  # type: ignore[arg-type]
        customer = s.get(BillingCustomer, setup.customer_id)
        bsub = s.get(BillingSubscription, setup.billing_subscription_id)
        assert customer is not None and bsub is not None
        customer.stripe_customer_id = server.store.create_customer({})["id"]
        bsub.stripe_subscription_id, bsub.status = f"sub_test_{setup.billing_subscription_id}", "active"
    return setup


def test_a_clean_run_reconciles_without_difference(
    stripe_mode: StripeTestServer, make_actor: Callable[[], Actor]
) -> None:
    setup = _subscribed(stripe_mode, make_actor)
    period = open_period(setup.billing_subscription_id, utcnow() - timedelta(days=2))
    run_charges(setup, period, 7)
    run_charges(setup, period, 2, metered=False)  # included runs: never in Stripe
    assert send_pending_meter_events() == 7
    assert _ours(reconcile_stripe(), setup) == []
    summaries = stripe_mode.requests_to(f"/v1/billing/meters/{_meter(setup)}/event_summaries", "GET")
    assert summaries and summaries[-1].params["customer"].startswith("cus_")


def test_a_missing_meter_event_is_reported(stripe_mode: StripeTestServer, make_actor: Callable[[], Actor]) -> None:
    setup = _subscribed(stripe_mode, make_actor)
    other = _subscribed(stripe_mode, make_actor)
    period = open_period(setup.billing_subscription_id, utcnow() - timedelta(days=2))
    ids = run_charges(setup, period, 4)
    run_charges(other, open_period(other.billing_subscription_id, utcnow() - timedelta(days=2)), 3)
    assert send_pending_meter_events() == 7
    del stripe_mode.store.meter_events[ids[1]]  # Stripe lost (or later rejected) one event
    lines = _ours(reconcile_stripe(), setup, other)
    assert len(lines) == 1
    assert lines[0].startswith(f"{setup.billing_subscription_id} (sub_test_{setup.billing_subscription_id})")
    assert lines[0].endswith("ledger 4 metered runs, Stripe meter 3")


def test_runs_not_sent_yet_are_named(stripe_mode: StripeTestServer, make_actor: Callable[[], Actor]) -> None:
    setup = _subscribed(stripe_mode, make_actor)
    run_charges(setup, open_period(setup.billing_subscription_id, utcnow() - timedelta(days=2)), 2)
    lines = _ours(reconcile_stripe(), setup)
    assert [line.split(": ", 1)[1] for line in lines] == ["ledger 2 metered runs (2 not sent yet), Stripe meter 0"]


def _meter(setup: PaidSetup) -> str:
    with session_scope() as s:
        price = s.get(ListingPrice, setup.price_id)
        assert price is not None
        return price.stripe_meter_id or ""


def _ours(lines: list[str], *setups: PaidSetup) -> list[str]:
    """The lines about these tests' subscriptions (the database holds other tests' too)."""
    return [line for line in lines if line.split(" ", 1)[0] in {s.billing_subscription_id for s in setups}]
