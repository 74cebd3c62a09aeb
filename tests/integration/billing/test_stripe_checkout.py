"""Stripe mode against the local Stripe server over real HTTP: prices, checkout, portal, Connect."""

from __future__ import annotations

from collections.abc import Callable

import pytest
import stripe

from backend.accounts.actor import Actor
from backend.db import session_scope
from backend.models import BillingCustomer, BillingSubscription, Listing, ListingPrice, PublisherAccount
from billing.stripe.catalog import sync_listing_prices
from billing.stripe.checkout import CheckoutUnavailable, create_checkout_session
from billing.stripe.connect import onboarding_link
from billing.stripe.portal import portal_url
from tests.support.stripe_billing import PaidSetup, paid_listing
from tests.support.stripe_server import StripeTestServer

CREATES = (
    "/v1/customers",
    "/v1/products",
    "/v1/prices",
    "/v1/billing/meters",
    "/v1/checkout/sessions",
    "/v1/billing_portal/sessions",
    "/v1/accounts",
    "/v1/account_links",
)


def _sync(setup: PaidSetup) -> ListingPrice:
    with session_scope() as s:
        price = s.get(ListingPrice, setup.price_id)
        listing = s.get(Listing, setup.listing_id)
        assert price is not None and listing is not None
        sync_listing_prices(listing=listing, price=price, session=s)
        return price


def _checkout(setup: PaidSetup, server: StripeTestServer | None = None) -> str:
    """Checkout; with ``server``, the publisher first has a connected account with charges enabled."""
    with session_scope() as s:
        account = s.get(PublisherAccount, setup.publisher_account_id)
        assert account is not None
        if server is not None and account.stripe_account_id is None:
            acct = server.store.create_account({"type": "express"})
            server.store.set_account(acct["id"], charges_enabled=True, payouts_enabled=True)
            account.stripe_account_id, account.charges_enabled = acct["id"], True
        return create_checkout_session(
            billing_subscription=s.get(BillingSubscription, setup.billing_subscription_id),  # type: ignore[arg-type]
            price=s.get(ListingPrice, setup.price_id),  # type: ignore[arg-type]
            customer=s.get(BillingCustomer, setup.customer_id),  # type: ignore[arg-type]
            publisher=account,
            success_url="http://app.test/billing?done=1",
            cancel_url="http://app.test/billing",
            session=s,
        )


def test_sync_creates_product_prices_and_meter(stripe_mode: StripeTestServer, make_actor: Callable[[], Actor]) -> None:
    setup = paid_listing(make_actor, monthly_cents=900, per_run_cents=5)
    price = _sync(setup)
    store = stripe_mode.store
    assert price.meter_event_name == f"agenthub_run_{setup.listing_id}"
    meter = store.get(price.stripe_meter_id or "", "billing.meter")
    assert meter["event_name"] == price.meter_event_name
    assert meter["customer_mapping"]["event_payload_key"] == "stripe_customer_id"
    monthly = store.get(price.stripe_monthly_price_id or "", "price")
    assert (monthly["unit_amount"], monthly["recurring"]["usage_type"]) == (900, "licensed")
    metered = store.get(price.stripe_metered_price_id or "", "price")
    assert metered["unit_amount"] == 5
    assert metered["recurring"] == {"interval": "month", "usage_type": "metered", "meter": meter["id"]}
    assert monthly["product"] == metered["product"] == price.stripe_product_id
    assert price.synced_at is not None


def test_a_changed_amount_makes_a_new_price_and_archives_the_old(
    stripe_mode: StripeTestServer, make_actor: Callable[[], Actor]
) -> None:
    setup = paid_listing(make_actor)
    first = _sync(setup)
    with session_scope() as s:
        row = s.get(ListingPrice, setup.price_id)
        assert row is not None
        row.monthly_price_cents = 1500
    second = _sync(setup)
    store = stripe_mode.store
    assert second.stripe_monthly_price_id != first.stripe_monthly_price_id
    assert store.get(first.stripe_monthly_price_id or "", "price")["active"] is False
    assert store.get(second.stripe_monthly_price_id or "", "price")["unit_amount"] == 1500
    # unchanged per-run amount: same price, same meter, same product; no second meter
    assert second.stripe_metered_price_id == first.stripe_metered_price_id
    assert len(store.of_kind("billing.meter")) == 1 and len(store.of_kind("product")) == 1


def test_checkout_carries_fee_destination_and_metered_item(
    stripe_mode: StripeTestServer, make_actor: Callable[[], Actor]
) -> None:
    setup = paid_listing(make_actor, fee_bps=1250)
    price = _sync(setup)
    url = _checkout(setup, stripe_mode)
    [account] = stripe_mode.store.of_kind("account")
    [request] = stripe_mode.requests_to("/v1/checkout/sessions")
    p = request.params
    assert url.startswith(stripe_mode.base_url + "/checkout/cs_")
    assert p["mode"] == "subscription" and p["client_reference_id"] == setup.billing_subscription_id
    assert p["metadata"] == {"billing_subscription_id": setup.billing_subscription_id}
    assert p["line_items"] == [
        {"price": price.stripe_monthly_price_id, "quantity": "1"},
        {"price": price.stripe_metered_price_id},  # metered: no quantity
    ]
    data = p["subscription_data"]
    assert data["application_fee_percent"] == "12.5"
    assert data["transfer_data"] == {"destination": account["id"]}
    assert data["metadata"] == {"billing_subscription_id": setup.billing_subscription_id}
    with session_scope() as s:
        bsub = s.get(BillingSubscription, setup.billing_subscription_id)
        customer = s.get(BillingCustomer, setup.customer_id)
        assert bsub is not None and customer is not None
        assert bsub.stripe_checkout_session_id == url.rsplit("/", 1)[1]
        assert customer.stripe_customer_id == p["customer"]
        assert stripe_mode.store.get(p["customer"], "customer")["email"].endswith("@example.com")


def test_checkout_without_connected_account_has_no_fee(
    stripe_mode: StripeTestServer, make_actor: Callable[[], Actor]
) -> None:
    setup = paid_listing(make_actor)
    _sync(setup)
    _checkout(setup)
    _checkout(setup)  # a second click: same customer, same session (idempotent)
    requests = stripe_mode.requests_to("/v1/checkout/sessions")
    assert "application_fee_percent" not in requests[0].params["subscription_data"]
    assert "transfer_data" not in requests[0].params["subscription_data"]
    assert len(stripe_mode.store.of_kind("checkout.session")) == 1
    assert len(stripe_mode.store.of_kind("customer")) == 1


def test_checkout_refuses_prices_not_synced(stripe_mode: StripeTestServer, make_actor: Callable[[], Actor]) -> None:
    setup = paid_listing(make_actor)
    with pytest.raises(CheckoutUnavailable, match="not ready"):
        _checkout(setup)
    assert stripe_mode.requests_to("/v1/checkout/sessions") == []


def test_every_create_carries_an_idempotency_key_from_our_ids(
    stripe_mode: StripeTestServer, make_actor: Callable[[], Actor]
) -> None:
    setup = paid_listing(make_actor)
    _sync(setup)
    _checkout(setup, stripe_mode)
    with session_scope() as s:
        customer = s.get(BillingCustomer, setup.customer_id)
        account = s.get(PublisherAccount, setup.publisher_account_id)
        assert customer is not None and account is not None
        account.stripe_account_id = None
        portal_url(customer=customer, return_url="http://app.test/billing", session=s)
        onboarding_link(account=account, refresh_url="http://app.test/r", return_url="http://app.test/e", session=s)
    creates = [r for r in stripe_mode.requests if r.method == "POST" and r.path in CREATES]
    assert {r.path for r in creates} == set(CREATES)
    for request in creates:
        assert request.idempotency_key and request.idempotency_key.startswith("agenthub-"), request.path
    keys = {r.path: r.idempotency_key for r in creates}
    assert keys["/v1/customers"] == f"agenthub-customer-{setup.customer_id}"
    assert keys["/v1/products"] == f"agenthub-product-{setup.listing_id}"
    assert keys["/v1/billing/meters"] == f"agenthub-meter-{setup.listing_id}"
    assert keys["/v1/accounts"] == f"agenthub-account-{setup.publisher_account_id}"


def test_a_retried_sync_after_a_lost_response_reuses_the_objects(
    stripe_mode: StripeTestServer, make_actor: Callable[[], Actor]
) -> None:
    """The product is created but our transaction is lost (an error later): the retry replays
    the same idempotency key and gets the same product, not a second one."""
    setup = paid_listing(make_actor)
    stripe_mode.fail_next("/v1/billing/meters", status=400)
    with pytest.raises(stripe.InvalidRequestError), session_scope() as s:
        price, listing = s.get(ListingPrice, setup.price_id), s.get(Listing, setup.listing_id)
        sync_listing_prices(listing=listing, price=price, session=s)  # type: ignore[arg-type]
    price = _sync(setup)  # the row never saw the first product id (rolled back)
    assert len(stripe_mode.store.of_kind("product")) == 1
    assert price.stripe_product_id == stripe_mode.store.of_kind("product")[0]["id"]


def test_portal_and_onboarding_links(stripe_mode: StripeTestServer, make_actor: Callable[[], Actor]) -> None:
    setup = paid_listing(make_actor)
    with session_scope() as s:
        customer = s.get(BillingCustomer, setup.customer_id)
        account = s.get(PublisherAccount, setup.publisher_account_id)
        assert customer is not None and account is not None
        url = portal_url(customer=customer, return_url="http://app.test/billing", session=s)
        link = onboarding_link(
            account=account, refresh_url="http://app.test/r", return_url="http://app.test/e", session=s
        )
        again = onboarding_link(
            account=account, refresh_url="http://app.test/r", return_url="http://app.test/e", session=s
        )
    assert url.startswith(stripe_mode.base_url + "/portal/bps_")
    assert stripe_mode.requests_to("/v1/billing_portal/sessions")[0].params["return_url"] == "http://app.test/billing"
    assert link.endswith(f"/connect/onboarding/{account.stripe_account_id}") and again == link
    assert len(stripe_mode.store.of_kind("account")) == 1  # the Express account is made once
    assert stripe_mode.requests_to("/v1/accounts")[0].params["type"] == "express"
    with session_scope() as s:
        stored = s.get(PublisherAccount, setup.publisher_account_id)
        assert stored is not None and stored.stripe_account_id == account.stripe_account_id
        assert stored.status == "pending" and not stored.charges_enabled


def test_setting_up_payouts_is_in_the_audit_trail(
    stripe_mode: StripeTestServer, make_actor: Callable[[], Actor]
) -> None:
    from sqlmodel import select

    from backend.models import AuditEvent
    from billing.manage import payout_onboarding_url

    owner = make_actor()
    for _ in range(2):
        with session_scope() as s:
            link = payout_onboarding_url(
                actor=owner, refresh_url="http://app.test/r", return_url="http://app.test/e", session=s
            )
        assert "/connect/onboarding/" in link
    with session_scope() as s:
        events = s.exec(
            select(AuditEvent)
            .where(AuditEvent.workspace_id == owner.workspace_id, AuditEvent.action == "billing.payouts_setup")
            .order_by(AuditEvent.created_at)
        ).all()
    assert [e.summary for e in events] == [
        "Started setting up payouts (Stripe Connect)",
        "Continued setting up payouts",
    ]
    assert all(e.actor_user_id == owner.user_id for e in events)
