"""Who may run a paid agent: trial runs before checkout, active, past_due within and beyond the
grace period, canceled until the period end; the refusal says why and links to the fix."""

from __future__ import annotations

from collections.abc import Callable
from datetime import timedelta

import pytest

from backend.accounts.actor import Actor
from backend.db import session_scope
from backend.models.billing import BillingSubscription
from backend.models.common import utcnow
from billing.checkout import confirm_test_checkout
from marketplace.errors import EntitlementRefused
from marketplace.subscriptions import subscriber_principal
from tests.support.billing import Paid, paid_subscriber, usage


def _run(paid: Paid) -> None:
    with session_scope() as s:
        subscriber_principal(actor=paid.fan, listing_id=paid.listing_id, session=s)


def _set(paid: Paid, **values: object) -> None:
    with session_scope() as s:
        bsub = s.get(BillingSubscription, paid.bsub_id)
        assert bsub is not None
        for name, value in values.items():
            setattr(bsub, name, value)
        s.add(bsub)


def test_trial_runs_then_checkout(make_actor: Callable[[], Actor]) -> None:
    paid = paid_subscriber(make_actor(), make_actor(), confirm=False, free_trial_runs=2)
    _run(paid)
    usage(paid)
    _run(paid)
    usage(paid)
    usage(paid, cost=0, tokens=0)  # a rejected call is not a trial run
    with pytest.raises(EntitlementRefused, match="free trial runs are used up. Finish checkout") as refused:
        _run(paid)
    assert (refused.value.fix_url, refused.value.fix_label) == (f"/billing/checkout/{paid.bsub_id}", "Finish checkout")
    with session_scope() as s:
        confirm_test_checkout(user_id=paid.fan.user_id, billing_subscription_id=paid.bsub_id, session=s)
    _run(paid)


def test_no_trial_means_checkout_first(make_actor: Callable[[], Actor]) -> None:
    paid = paid_subscriber(make_actor(), make_actor(), confirm=False)
    with pytest.raises(EntitlementRefused, match="^Finish checkout to start using"):
        _run(paid)


def test_past_due_keeps_access_through_the_grace_period(make_actor: Callable[[], Actor]) -> None:
    paid = paid_subscriber(make_actor(), make_actor())
    _set(paid, status="past_due", past_due_since=utcnow() - timedelta(days=6))  # grace: 7 days
    _run(paid)
    _set(paid, past_due_since=utcnow() - timedelta(days=8))
    with pytest.raises(EntitlementRefused, match="payment for .* failed and the grace period ended") as refused:
        _run(paid)
    assert refused.value.fix_url == "/billing"


def test_canceled_runs_until_the_period_end(make_actor: Callable[[], Actor]) -> None:
    paid = paid_subscriber(make_actor(), make_actor())
    _set(paid, status="canceled", canceled_at=utcnow())
    _run(paid)  # paid until current_period_end
    _set(paid, current_period_end=utcnow() - timedelta(seconds=1))
    with pytest.raises(EntitlementRefused, match="ended on .* Subscribe again") as refused:
        _run(paid)
    assert refused.value.fix_url.startswith("/marketplace/")


def test_active_with_cancel_at_period_end_stops_at_the_end(make_actor: Callable[[], Actor]) -> None:
    paid = paid_subscriber(make_actor(), make_actor())
    _set(paid, cancel_at_period_end=True)
    _run(paid)
    _set(paid, current_period_end=utcnow() - timedelta(seconds=1))
    with pytest.raises(EntitlementRefused):
        _run(paid)
