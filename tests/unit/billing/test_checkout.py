"""Checkout and managing a paid subscription: only the subscriber sees and confirms their
checkout; confirming twice changes nothing; dropping an unfinished checkout revokes the grant;
unsubscribing cancels at period end (and can be undone); subscribing again after the end opens
a new checkout at the listing's current prices."""

from __future__ import annotations

from collections.abc import Callable
from datetime import timedelta

import pytest

from backend.accounts.actor import Actor, NotFound
from backend.db import session_scope
from backend.models import AgentGrant, Listing
from backend.models.common import utcnow
from billing.checkout import checkout_view, confirm_test_checkout
from billing.errors import BillingError
from billing.manage import cancel_subscription, customer_portal_url, keep_subscription
from billing.tick import tick
from marketplace.subscriptions import subscribe, unsubscribe
from tests.support.billing import ledger, paid_subscriber


def test_only_the_subscriber_sees_and_confirms_their_checkout(make_actor: Callable[[], Actor]) -> None:
    paid = paid_subscriber(make_actor(), make_actor(), confirm=False)
    stranger = make_actor()
    with session_scope() as s:
        view = checkout_view(user_id=paid.fan.user_id, billing_subscription_id=paid.bsub_id, session=s)
        with pytest.raises(NotFound):
            checkout_view(user_id=stranger.user_id, billing_subscription_id=paid.bsub_id, session=s)
        with pytest.raises(NotFound):
            confirm_test_checkout(user_id=stranger.user_id, billing_subscription_id=paid.bsub_id, session=s)
    assert (view.plan, view.status, view.stripe_mode) == (
        "$5.00 / month · 2 runs included · then $0.01 per run",
        "incomplete",
        False,
    )
    with session_scope() as s:
        first = confirm_test_checkout(user_id=paid.fan.user_id, billing_subscription_id=paid.bsub_id, session=s)
        again = confirm_test_checkout(user_id=paid.fan.user_id, billing_subscription_id=paid.bsub_id, session=s)
        assert first.status == again.status == "active"
        with pytest.raises(BillingError, match="Test mode"):
            customer_portal_url(user_id=paid.fan.user_id, return_url="/billing", session=s)
    assert len(ledger(paid)[1]) == 1  # one period, not two


def test_dropping_an_unfinished_checkout_ends_the_subscription(make_actor: Callable[[], Actor]) -> None:
    paid = paid_subscriber(make_actor(), make_actor(), confirm=False)
    with session_scope() as s:
        cancel_subscription(user_id=paid.fan.user_id, billing_subscription_id=paid.bsub_id, session=s)
        grant = s.get(AgentGrant, paid.grant_id)
        assert grant is not None and grant.revoked_at is not None
        with pytest.raises(BillingError, match="canceled"):
            confirm_test_checkout(user_id=paid.fan.user_id, billing_subscription_id=paid.bsub_id, session=s)
    assert ledger(paid)[0].status == "canceled"


def test_unsubscribe_cancels_at_period_end_and_a_new_subscription_pays_current_prices(
    make_actor: Callable[[], Actor],
) -> None:
    paid = paid_subscriber(make_actor(), make_actor(), confirm_at=utcnow() - timedelta(days=10))
    with session_scope() as s:
        view = unsubscribe(actor=paid.fan, listing_id=paid.listing_id, session=s)
    assert view.status == "active" and view.billing_note.startswith("Ends on")  # 20 days left
    paid = paid_subscriber(make_actor(), make_actor(), confirm_at=utcnow() - timedelta(days=31))
    with session_scope() as s:
        keep_subscription(user_id=paid.fan.user_id, billing_subscription_id=paid.bsub_id, session=s)
        unsubscribe(actor=paid.fan, listing_id=paid.listing_id, session=s)
    tick()  # the period ended a day ago
    assert ledger(paid)[0].status == "canceled"
    with session_scope() as s:
        listing = s.get(Listing, paid.listing_id)
        assert listing is not None
        listing.monthly_price_cents = 900  # the publisher raised the price meanwhile
        s.add(listing)
    with session_scope() as s:
        again = subscribe(actor=paid.fan, listing_id=paid.listing_id, session=s)
    assert again.checkout_url == f"/billing/checkout/{paid.bsub_id}" and again.billing_status == "incomplete"
    assert ledger(paid)[0].monthly_price_cents == 900
