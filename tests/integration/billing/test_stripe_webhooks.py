"""The Stripe webhook over real HTTP: signatures, once-only storage, convergence, the ledger it writes."""

from __future__ import annotations

import random
import threading
import time
from collections.abc import Callable
from datetime import timedelta
from typing import Any

import httpx
from sqlmodel import col, select

from backend.accounts.actor import Actor
from backend.db import session_scope
from backend.models import (
    AgentGrant,
    BillingCustomer,
    BillingSubscription,
    Invoice,
    InvoiceLineItem,
    Listing,
    ListingPrice,
    PublisherAccount,
    PublisherEarning,
    StripeEvent,
    Subscription,
)
from backend.models.common import utcnow
from billing.stripe.catalog import sync_listing_prices
from billing.stripe.checkout import create_checkout_session
from billing.stripe.metering import send_pending_meter_events
from tests.support.stripe_billing import PaidSetup, open_period, paid_listing, run_charges
from tests.support.stripe_server import StripeTestServer


def _checkout(
    server: StripeTestServer, make_actor: Callable[[], Actor], *, fee_bps: int = 2000
) -> tuple[PaidSetup, str]:
    """A synced paid listing and a subscriber's open Checkout Session; returns (setup, session id)."""
    setup = paid_listing(make_actor, monthly_cents=900, per_run_cents=5, fee_bps=fee_bps)
    with session_scope() as s:
        price, listing = s.get(ListingPrice, setup.price_id), s.get(Listing, setup.listing_id)
        sync_listing_prices(listing=listing, price=price, session=s)  # type: ignore[arg-type]
        bsub = s.get(BillingSubscription, setup.billing_subscription_id)
        create_checkout_session(
            billing_subscription=bsub,  # type: ignore[arg-type]
            price=price,  # type: ignore[arg-type]
            customer=s.get(BillingCustomer, setup.customer_id),  # type: ignore[arg-type]
            publisher=None,
            success_url="http://app.test/ok",
            cancel_url="http://app.test/no",
            session=s,
        )
        return setup, bsub.stripe_checkout_session_id or ""  # type: ignore[union-attr]


def _subscribe(server: StripeTestServer, session_id: str) -> tuple[dict[str, Any], list[dict[str, Any]]]:
    """The customer pays at Checkout: Stripe's subscription and the two events it sends."""
    store = server.store
    sub = store.complete_checkout(session_id)
    events = [
        store.event("checkout.session.completed", store.get(session_id, "checkout.session")),
        store.event("customer.subscription.created", sub),
    ]
    return sub, events


def _bsub(setup: PaidSetup) -> BillingSubscription:
    with session_scope() as s:
        row = s.get(BillingSubscription, setup.billing_subscription_id)
        assert row is not None
        return row


def _ledger(setup: PaidSetup) -> dict[str, Any]:
    """What a user would see of one subscription: billing state, invoices, lines, earnings."""
    with session_scope() as s:
        bsub = s.get(BillingSubscription, setup.billing_subscription_id)
        sub = s.get(Subscription, setup.subscription_id)
        assert bsub is not None and sub is not None
        invoices = s.exec(select(Invoice).where(Invoice.billing_subscription_id == bsub.id)).all()
        lines = s.exec(
            select(InvoiceLineItem)
            .join(Invoice, col(Invoice.id) == col(InvoiceLineItem.invoice_id))
            .where(Invoice.billing_subscription_id == bsub.id)
        ).all()
        earnings = s.exec(select(PublisherEarning).where(PublisherEarning.billing_subscription_id == bsub.id)).all()
        return {
            "status": bsub.status,
            "cancel_at_period_end": bsub.cancel_at_period_end,
            "period": bsub.current_period_end is not None,
            "past_due": bsub.past_due_since is not None,
            "linked": bool(bsub.stripe_subscription_id),
            "marketplace": sub.status,
            "invoices": sorted((i.status, i.total_cents) for i in invoices),
            "lines": sorted((li.kind, li.quantity, li.unit_amount_cents, li.amount_cents) for li in lines),
            "earnings": sorted((e.gross_cents, e.platform_fee_cents, e.net_cents) for e in earnings),
        }


def test_bad_signatures_are_refused_before_any_write(
    stripe_mode: StripeTestServer, webhook_url: str, make_actor: Callable[[], Actor]
) -> None:
    setup, session_id = _checkout(stripe_mode, make_actor)
    _, events = _subscribe(stripe_mode, session_id)
    event = events[0]
    assert stripe_mode.deliver(event, webhook_url, tamper=True).status_code == 400
    assert stripe_mode.deliver(event, webhook_url, secret="whsec_not_ours").status_code == 400
    assert stripe_mode.deliver(event, webhook_url, timestamp=int(time.time()) - 600).status_code == 400
    genuine = stripe_mode.deliver(event, webhook_url)
    assert genuine.status_code == 200  # the genuine delivery still works afterwards
    with session_scope() as s:
        assert s.get(StripeEvent, event["id"]) is not None
    raw = httpx.post(webhook_url, content=b"{}", headers={"Content-Type": "application/json"}, timeout=10)
    assert raw.status_code == 400
    tampered = stripe_mode.store.event("customer.subscription.created", {"id": "sub_forged"})
    assert stripe_mode.deliver(tampered, webhook_url, tamper=True).status_code == 400
    with session_scope() as s:
        assert s.get(StripeEvent, tampered["id"]) is None
    assert _bsub(setup).status == "active"


def test_checkout_completed_links_and_activates(
    stripe_mode: StripeTestServer, webhook_url: str, make_actor: Callable[[], Actor]
) -> None:
    setup, session_id = _checkout(stripe_mode, make_actor)
    sub, events = _subscribe(stripe_mode, session_id)
    assert stripe_mode.deliver(events[0], webhook_url).json() == {"received": True, "result": "processed"}
    bsub = _bsub(setup)
    assert bsub.stripe_subscription_id == sub["id"] and bsub.status == "active"
    start = sub["items"]["data"][0]["current_period_start"]
    assert bsub.current_period_start is not None and int(bsub.current_period_start.timestamp()) == start
    with session_scope() as s:
        customer = s.get(BillingCustomer, setup.customer_id)
        assert customer is not None and customer.stripe_customer_id == sub["customer"]


def test_a_repeated_event_is_stored_once_and_not_reprocessed(
    stripe_mode: StripeTestServer, webhook_url: str, make_actor: Callable[[], Actor]
) -> None:
    _, session_id = _checkout(stripe_mode, make_actor)
    sub, events = _subscribe(stripe_mode, session_id)
    results = [stripe_mode.deliver(events[1], webhook_url).json()["result"] for _ in range(3)]
    assert results == ["processed", "duplicate", "duplicate"]
    assert len(stripe_mode.requests_to(f"/v1/subscriptions/{sub['id']}", "GET")) == 1
    with session_scope() as s:
        stored = s.exec(select(StripeEvent).where(StripeEvent.id == events[1]["id"])).all()
        assert len(stored) == 1 and stored[0].processed_at is not None and stored[0].type == events[1]["type"]


def _life(server: StripeTestServer, setup: PaidSetup, session_id: str) -> list[dict[str, Any]]:
    """A subscription's month: checkout, 3 metered runs, a paid invoice, cancel at period end."""
    sub, events = _subscribe(server, session_id)
    store = server.store
    invoice = store.create_invoice(sub["id"], paid=True)
    events.append(store.event("invoice.paid", invoice))
    updated = store.set_subscription(sub["id"], cancel_at_period_end=True)
    events.append(store.event("customer.subscription.updated", updated))
    return events


def test_duplicated_and_shuffled_deliveries_converge(
    stripe_mode: StripeTestServer, webhook_url: str, make_actor: Callable[[], Actor]
) -> None:
    in_order, ordered_session = _checkout(stripe_mode, make_actor)
    for event in _life(stripe_mode, in_order, ordered_session):
        assert stripe_mode.deliver(event, webhook_url).status_code == 200
    expected = _ledger(in_order)
    assert expected["status"] == "active" and expected["cancel_at_period_end"] is True
    assert expected["invoices"] == [("paid", 900)] and expected["earnings"] == [(900, 180, 720)]
    for seed in (1, 2):
        shuffled, session_id = _checkout(stripe_mode, make_actor)
        events = _life(stripe_mode, shuffled, session_id)
        deliveries = events + random.Random(seed).sample(events, k=3)  # some twice
        random.Random(seed).shuffle(deliveries)
        for event in deliveries:
            assert stripe_mode.deliver(event, webhook_url).status_code == 200
        assert _ledger(shuffled) == expected


def test_invoice_paid_writes_invoice_lines_and_earning_with_the_fee(
    stripe_mode: StripeTestServer, webhook_url: str, make_actor: Callable[[], Actor]
) -> None:
    setup, session_id = _checkout(stripe_mode, make_actor, fee_bps=1250)
    sub, events = _subscribe(stripe_mode, session_id)
    for event in events:
        stripe_mode.deliver(event, webhook_url)
    period = open_period(setup.billing_subscription_id, utcnow() - timedelta(minutes=30))
    run_charges(setup, period, 3, at=utcnow())  # after the subscription started
    assert send_pending_meter_events() == 3
    invoice = stripe_mode.store.create_invoice(sub["id"], paid=True)
    assert stripe_mode.deliver(stripe_mode.store.event("invoice.paid", invoice), webhook_url).status_code == 200
    ledger = _ledger(setup)
    assert ledger["invoices"] == [("paid", 915)]
    assert ledger["lines"] == [("subscription", 1, 900, 900), ("usage", 3, 5, 15)]
    assert ledger["earnings"] == [(915, 114, 801)]  # 12.5 % of $9.15 = 114.375 cents -> 114
    with session_scope() as s:
        ours = s.exec(select(Invoice).where(Invoice.stripe_invoice_id == invoice["id"])).one()
        assert ours.number == invoice["number"] and ours.paid_at is not None
        assert (ours.user_id, ours.workspace_id, ours.listing_id) == (
            setup.subscriber.user_id,
            setup.publisher.workspace_id,
            setup.listing_id,
        )
        assert ours.period_id == period


def test_a_failed_payment_makes_it_past_due_until_paid(
    stripe_mode: StripeTestServer, webhook_url: str, make_actor: Callable[[], Actor]
) -> None:
    setup, session_id = _checkout(stripe_mode, make_actor)
    sub, events = _subscribe(stripe_mode, session_id)
    for event in events:
        stripe_mode.deliver(event, webhook_url)
    invoice = stripe_mode.store.create_invoice(sub["id"], paid=False)
    stripe_mode.deliver(stripe_mode.store.event("invoice.payment_failed", invoice), webhook_url)
    bsub = _bsub(setup)
    assert bsub.status == "past_due" and bsub.past_due_since is not None
    assert _ledger(setup)["invoices"] == [("open", 900)] and _ledger(setup)["earnings"] == []
    paid = stripe_mode.store.pay_invoice(invoice["id"])
    stripe_mode.deliver(stripe_mode.store.event("invoice.paid", paid), webhook_url)
    bsub = _bsub(setup)
    assert bsub.status == "active" and bsub.past_due_since is None
    assert _ledger(setup)["invoices"] == [("paid", 900)] and _ledger(setup)["earnings"] == [(900, 180, 720)]


def test_a_deleted_subscription_ends_the_marketplace_subscription(
    stripe_mode: StripeTestServer, webhook_url: str, make_actor: Callable[[], Actor]
) -> None:
    setup, session_id = _checkout(stripe_mode, make_actor)
    sub, events = _subscribe(stripe_mode, session_id)
    for event in events:
        stripe_mode.deliver(event, webhook_url)
    ended = stripe_mode.store.set_subscription(sub["id"], status="canceled")
    stripe_mode.deliver(stripe_mode.store.event("customer.subscription.deleted", ended), webhook_url)
    bsub = _bsub(setup)
    assert bsub.status == "canceled" and bsub.canceled_at is not None
    with session_scope() as s:
        market = s.get(Subscription, setup.subscription_id)
        assert market is not None and market.status == "canceled"
        grant = s.get(AgentGrant, market.grant_id)
        assert grant is not None and grant.revoked_at is not None
    # a late "updated" snapshot saying active changes nothing: Stripe says canceled
    late = stripe_mode.store.event("customer.subscription.updated", {**ended, "status": "active"})
    stripe_mode.deliver(late, webhook_url)
    assert _bsub(setup).status == "canceled"


def test_account_updated_enables_the_publisher(
    stripe_mode: StripeTestServer, webhook_url: str, make_actor: Callable[[], Actor]
) -> None:
    setup = paid_listing(make_actor)
    account = stripe_mode.store.create_account({"type": "express"})
    with session_scope() as s:
        row = s.get(PublisherAccount, setup.publisher_account_id)
        assert row is not None
        row.stripe_account_id, row.status = account["id"], "pending"
    done = stripe_mode.store.set_account(
        account["id"], charges_enabled=True, payouts_enabled=True, details_submitted=True
    )
    assert (
        stripe_mode.deliver(
            stripe_mode.store.event("account.updated", done, account=account["id"]), webhook_url
        ).status_code
        == 200
    )
    with session_scope() as s:
        row = s.get(PublisherAccount, setup.publisher_account_id)
        assert row is not None
        assert (row.status, row.charges_enabled, row.payouts_enabled, row.details_submitted) == (
            "active",
            True,
            True,
            True,
        )


def test_a_failure_answers_500_and_the_retry_processes_it(
    stripe_mode: StripeTestServer, webhook_url: str, make_actor: Callable[[], Actor]
) -> None:
    setup, session_id = _checkout(stripe_mode, make_actor)
    sub, events = _subscribe(stripe_mode, session_id)
    stripe_mode.fail_next(f"/v1/subscriptions/{sub['id']}", status=500, times=3)
    assert stripe_mode.deliver(events[1], webhook_url).status_code == 500
    with session_scope() as s:
        stored = s.get(StripeEvent, events[1]["id"])
        assert stored is not None and stored.processed_at is None and "Injected failure" in stored.error
    assert _bsub(setup).status == "incomplete"
    assert stripe_mode.deliver(events[1], webhook_url).json()["result"] == "processed"
    assert _bsub(setup).status == "active"


def test_events_we_do_not_handle_are_acknowledged(stripe_mode: StripeTestServer, webhook_url: str) -> None:
    event = stripe_mode.store.event("customer.created", {"id": "cus_x", "object": "customer"})
    assert stripe_mode.deliver(event, webhook_url).json() == {"received": True, "result": "ignored"}


def test_the_same_event_delivered_twice_at_once_is_applied_once(
    stripe_mode: StripeTestServer, webhook_url: str, make_actor: Callable[[], Actor]
) -> None:
    setup, session_id = _checkout(stripe_mode, make_actor)
    sub, events = _subscribe(stripe_mode, session_id)
    for event in events:
        stripe_mode.deliver(event, webhook_url)
    invoice = stripe_mode.store.create_invoice(sub["id"], paid=True)
    paid = stripe_mode.store.event("invoice.paid", invoice)
    results: list[str] = []
    threads = [
        threading.Thread(target=lambda: results.append(stripe_mode.deliver(paid, webhook_url).json()["result"]))
        for _ in range(4)
    ]
    for t in threads:
        t.start()
    for t in threads:
        t.join(30)
    assert sorted(results) == ["duplicate", "duplicate", "duplicate", "processed"]
    assert _ledger(setup)["invoices"] == [("paid", 900)] and _ledger(setup)["earnings"] == [(900, 180, 720)]


def test_subscribing_again_after_the_end_links_the_new_stripe_subscription(
    stripe_mode: StripeTestServer, webhook_url: str, make_actor: Callable[[], Actor]
) -> None:
    setup, session_id = _checkout(stripe_mode, make_actor)
    old, events = _subscribe(stripe_mode, session_id)
    ended = stripe_mode.store.set_subscription(old["id"], status="canceled")
    for event in [*events, stripe_mode.store.event("customer.subscription.deleted", ended)]:
        stripe_mode.deliver(event, webhook_url)
    assert _bsub(setup).status == "canceled"
    with session_scope() as s:  # the subscriber checks out again for the same listing
        bsub = s.get(BillingSubscription, setup.billing_subscription_id)
        assert bsub is not None
        create_checkout_session(
            billing_subscription=bsub,
            price=s.get(ListingPrice, setup.price_id),  # type: ignore[arg-type]
            customer=s.get(BillingCustomer, setup.customer_id),  # type: ignore[arg-type]
            publisher=None,
            success_url="http://app.test/ok?again=1",
            cancel_url="http://app.test/no",
            session=s,
        )
        new_session = bsub.stripe_checkout_session_id or ""
    new, again = _subscribe(stripe_mode, new_session)
    for event in reversed(again):  # the subscription's event first
        assert stripe_mode.deliver(event, webhook_url).status_code == 200
    bsub = _bsub(setup)
    assert (bsub.stripe_subscription_id, bsub.status, bsub.canceled_at) == (new["id"], "active", None)
    # a late event of the old subscription changes nothing
    stripe_mode.deliver(stripe_mode.store.event("customer.subscription.updated", ended), webhook_url)
    assert (_bsub(setup).stripe_subscription_id, _bsub(setup).status) == (new["id"], "active")
