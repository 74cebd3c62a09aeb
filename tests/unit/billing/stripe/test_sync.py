"""billing.stripe.sync: a Stripe Subscription copied onto our billing subscription."""

from __future__ import annotations

from datetime import UTC, datetime

from backend.db import session_scope
from backend.models import BillingSubscription
from billing.stripe.sync import STATUS_FROM_STRIPE, apply_subscription


def _stripe_sub(status: str, **extra: object) -> dict[str, object]:
    item = {"current_period_start": 1_800_000_000, "current_period_end": 1_802_592_000}
    return {"id": "sub_1", "status": status, "customer": None, "items": {"data": [item]}, **extra}


def test_every_stripe_status_maps_to_ours() -> None:
    assert set(STATUS_FROM_STRIPE.values()) <= {"incomplete", "trialing", "active", "past_due", "canceled"}
    assert STATUS_FROM_STRIPE["unpaid"] == "past_due" and STATUS_FROM_STRIPE["incomplete_expired"] == "canceled"


def test_period_past_due_and_cancel_at_period_end() -> None:
    row = BillingSubscription(
        subscription_id="s", listing_id="l", user_id="u", workspace_id="w", plan_kind="monthly", status="active"
    )
    with session_scope() as session:
        apply_subscription(row, _stripe_sub("past_due"), session)
        since = row.past_due_since
        assert row.status == "past_due" and since is not None
        assert row.current_period_start == datetime.fromtimestamp(1_800_000_000, UTC)
        assert row.current_period_end == datetime.fromtimestamp(1_802_592_000, UTC)
        apply_subscription(row, _stripe_sub("past_due"), session)
        assert row.past_due_since == since  # kept while it stays past due
        apply_subscription(row, _stripe_sub("active", cancel_at_period_end=True), session)
        assert (row.status, row.past_due_since, row.cancel_at_period_end) == ("active", None, True)
        assert row.canceled_at is None  # still usable until the period ends
        session.expunge_all()
        session.rollback()
