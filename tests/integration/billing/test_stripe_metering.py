"""Metered runs -> Stripe Meter Events over real HTTP: batches, identifiers, backoff, no double send."""

from __future__ import annotations

import threading
from collections.abc import Callable
from datetime import UTC, datetime, timedelta

from sqlmodel import col, select

from backend.accounts.actor import Actor
from backend.db import session_scope
from backend.models import BillingCustomer, Listing, ListingPrice, RunCharge
from backend.models.common import utcnow
from billing.stripe.catalog import sync_listing_prices
from billing.stripe.metering import send_pending_meter_events
from tests.support.stripe_billing import PaidSetup, open_period, paid_listing, run_charges
from tests.support.stripe_server import StripeTestServer

STREAM = "/v2/billing/meter_event_stream"


def _ready(server: StripeTestServer, make_actor: Callable[[], Actor], *, provider: str = "stripe") -> PaidSetup:
    """A paid listing synced to Stripe and a subscriber with a Stripe customer."""
    setup = paid_listing(make_actor, provider=provider)
    with session_scope() as s:
        price, listing = s.get(ListingPrice, setup.price_id), s.get(Listing, setup.listing_id)
        sync_listing_prices(listing=listing, price=price, session=s)  # type: ignore[arg-type]
        customer = s.get(BillingCustomer, setup.customer_id)
        assert customer is not None
        customer.stripe_customer_id = server.store.create_customer({"email": "x@example.com"})["id"]
    return setup


def _charges(setup: PaidSetup) -> list[RunCharge]:
    with session_scope() as s:
        return list(
            s.exec(
                select(RunCharge)
                .where(RunCharge.billing_subscription_id == setup.billing_subscription_id)
                .order_by(col(RunCharge.occurred_at))
            ).all()
        )


def _make_due(setup: PaidSetup) -> None:
    with session_scope() as s:
        for charge in s.exec(
            select(RunCharge).where(RunCharge.billing_subscription_id == setup.billing_subscription_id)
        ):
            if charge.meter_next_attempt_at is not None:
                charge.meter_next_attempt_at = utcnow() - timedelta(seconds=1)
                s.add(charge)


def _aware(moment: datetime) -> datetime:
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)


def test_metered_runs_are_sent_in_batches_with_their_identifiers(
    stripe_mode: StripeTestServer, make_actor: Callable[[], Actor]
) -> None:
    setup = _ready(stripe_mode, make_actor)
    period = open_period(setup.billing_subscription_id, utcnow() - timedelta(days=1))
    ids = run_charges(setup, period, 150)
    assert send_pending_meter_events() == 150
    batches = [r for r in stripe_mode.requests_to(STREAM) if r.status == 200]
    assert [len(b.params["events"]) for b in batches] == [100, 50]
    events = [e for b in batches for e in b.params["events"]]
    assert [e["identifier"] for e in events] == ids
    with session_scope() as s:
        price = s.get(ListingPrice, setup.price_id)
        customer = s.get(BillingCustomer, setup.customer_id)
        assert price is not None and customer is not None
    assert {e["event_name"] for e in events} == {f"agenthub_run_{setup.listing_id}"}
    assert {tuple(sorted(e["payload"].items())) for e in events} == {
        (("stripe_customer_id", customer.stripe_customer_id), ("value", "1"))
    }
    charges = _charges(setup)
    first = _aware(charges[0].occurred_at).astimezone(UTC)
    assert events[0]["timestamp"].startswith(first.strftime("%Y-%m-%dT%H:%M:%S"))
    assert all(c.meter_sent_at is not None and c.meter_attempts == 0 for c in charges)
    assert len({b.idempotency_key for b in batches}) == 2 and all(b.idempotency_key for b in batches)
    # nothing left: no request at all
    assert send_pending_meter_events() == 0
    assert len(stripe_mode.requests_to(STREAM)) == 2
    assert len(stripe_mode.store.meter_events) == 150


def test_included_runs_and_offline_subscriptions_send_nothing(
    stripe_mode: StripeTestServer, make_actor: Callable[[], Actor]
) -> None:
    included = _ready(stripe_mode, make_actor)
    run_charges(included, open_period(included.billing_subscription_id, utcnow() - timedelta(days=1)), 3, metered=False)
    offline = _ready(stripe_mode, make_actor, provider="test")
    run_charges(offline, open_period(offline.billing_subscription_id, utcnow() - timedelta(days=1)), 2)
    assert send_pending_meter_events() == 0
    assert stripe_mode.requests_to(STREAM) == []


def test_a_failing_server_backs_off_then_the_retry_sends(
    stripe_mode: StripeTestServer, make_actor: Callable[[], Actor]
) -> None:
    setup = _ready(stripe_mode, make_actor)
    run_charges(setup, open_period(setup.billing_subscription_id, utcnow() - timedelta(days=1)), 4)
    stripe_mode.fail_next(STREAM, status=500, times=3)  # the SDK's own two retries fail too
    before = utcnow()
    assert send_pending_meter_events() == 0
    charges = _charges(setup)
    assert all(c.meter_sent_at is None and c.meter_attempts == 1 for c in charges)
    assert all("Injected failure" in c.meter_error for c in charges)
    delay = _aware(charges[0].meter_next_attempt_at).timestamp() - before.timestamp()  # type: ignore[arg-type]
    assert 29 <= delay <= 40
    assert send_pending_meter_events() == 0  # not due yet: no request
    assert len(stripe_mode.requests_to(STREAM)) == 3
    stripe_mode.fail_next(STREAM, status=500, times=3)
    _make_due(setup)
    before = utcnow()
    assert send_pending_meter_events() == 0
    charges = _charges(setup)
    assert all(c.meter_attempts == 2 for c in charges)
    delay = _aware(charges[0].meter_next_attempt_at).timestamp() - before.timestamp()  # type: ignore[arg-type]
    assert 59 <= delay <= 70  # doubled
    _make_due(setup)
    assert send_pending_meter_events() == 4
    charges = _charges(setup)
    assert all(c.meter_sent_at is not None and c.meter_error == "" and c.meter_next_attempt_at is None for c in charges)
    assert len(stripe_mode.store.meter_events) == 4


def test_a_resend_after_a_lost_commit_is_not_counted_twice(
    stripe_mode: StripeTestServer, make_actor: Callable[[], Actor]
) -> None:
    setup = _ready(stripe_mode, make_actor)
    run_charges(setup, open_period(setup.billing_subscription_id, utcnow() - timedelta(days=1)), 5)
    assert send_pending_meter_events() == 5
    with session_scope() as s:  # as if the transaction that marked them had been lost
        for charge in s.exec(
            select(RunCharge).where(RunCharge.billing_subscription_id == setup.billing_subscription_id)
        ):
            charge.meter_sent_at = None
            s.add(charge)
    assert send_pending_meter_events() == 5
    first, second = stripe_mode.requests_to(STREAM)
    assert first.idempotency_key == second.idempotency_key
    assert [e["identifier"] for e in first.params["events"]] == [e["identifier"] for e in second.params["events"]]
    assert len(stripe_mode.store.meter_events) == 5  # Stripe keeps one event per identifier


def test_concurrent_senders_never_send_a_run_twice(
    stripe_mode: StripeTestServer, make_actor: Callable[[], Actor]
) -> None:
    setup = _ready(stripe_mode, make_actor)
    run_charges(setup, open_period(setup.billing_subscription_id, utcnow() - timedelta(days=1)), 250)
    results: list[int] = []
    threads = [threading.Thread(target=lambda: results.append(send_pending_meter_events())) for _ in range(3)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(60)
    assert sum(results) == 250
    sent = [e["identifier"] for r in stripe_mode.requests_to(STREAM) if r.status == 200 for e in r.params["events"]]
    assert len(sent) == len(set(sent)) == 250


def test_an_expired_meter_event_session_is_renewed(
    stripe_mode: StripeTestServer, make_actor: Callable[[], Actor]
) -> None:
    setup = _ready(stripe_mode, make_actor)
    period = open_period(setup.billing_subscription_id, utcnow() - timedelta(days=1))
    run_charges(setup, period, 1)
    assert send_pending_meter_events() == 1
    stripe_mode._sessions.clear()  # Stripe expired the token (15 minutes)
    run_charges(setup, period, 1)
    assert send_pending_meter_events() == 1
    assert len(stripe_mode.requests_to("/v2/billing/meter_event_session")) == 2
    assert len(stripe_mode.store.meter_events) == 2


def test_a_subscriber_without_stripe_customer_waits(
    stripe_mode: StripeTestServer, make_actor: Callable[[], Actor]
) -> None:
    setup = paid_listing(make_actor)  # never synced, no Stripe customer
    run_charges(setup, open_period(setup.billing_subscription_id, utcnow() - timedelta(days=1)), 2)
    assert send_pending_meter_events() == 0
    charges = _charges(setup)
    assert all(c.meter_attempts == 1 and "no Stripe customer" in c.meter_error for c in charges)
    assert stripe_mode.requests_to(STREAM) == []
