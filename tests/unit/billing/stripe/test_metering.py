"""billing.stripe.metering: backoff and the Meter Event of a run charge."""

from __future__ import annotations

from datetime import UTC, datetime

from backend.models import RunCharge
from billing.stripe.metering import backoff_seconds, meter_event


def test_backoff_doubles_from_30_seconds_to_one_hour() -> None:
    assert [backoff_seconds(n) for n in (1, 2, 3, 4)] == [30, 60, 120, 240]
    assert backoff_seconds(8) == 3600 and backoff_seconds(50) == 3600


def test_meter_event_of_a_charge() -> None:
    charge = RunCharge(
        run_id="r1",
        usage_record_id="ur1",
        billing_subscription_id="b1",
        period_id="p1",
        occurred_at=datetime(2026, 11, 3, 4, 5, 6, 789000, tzinfo=UTC),
        metered=True,
    )
    assert meter_event(charge, customer_id="cus_1", event_name="agenthub_run_l1") == {
        "event_name": "agenthub_run_l1",
        "identifier": "ur1",
        "timestamp": "2026-11-03T04:05:06.789000Z",
        "payload": {"stripe_customer_id": "cus_1", "value": "1"},
    }
