"""Publisher analytics of one listing against a hand-computed fixture: three UTC days
(2026-05-01..03) with subscriptions started and canceled, billing subscriptions (MRR), a paid
invoice and its platform fee, a metered run charge, subscribers' and visitors' LLM cost, reviews
and a trial that converted."""

from __future__ import annotations

import uuid
from collections.abc import Callable
from datetime import UTC, date, datetime
from typing import Any

import pytest

from backend.accounts.actor import Actor, NotFound
from backend.analytics.periods import custom_period
from backend.analytics.publisher import publisher_view
from backend.db import session_scope
from backend.models import Listing, Review, Subscription, UsageRecord
from backend.models.billing import BillingPeriod, BillingSubscription, Invoice, PublisherEarning, RunCharge
from tests.support.marketplace import listing, publisher_connection


def _at(day: int, hour: int = 12, month: int = 5) -> datetime:
    return datetime(2026, month, day, hour, tzinfo=UTC)


@pytest.fixture
def shop(actor: Actor, make_actor: Callable[[], Actor]) -> dict[str, Any]:
    title = f"Bookkeeper {uuid.uuid4().hex[:8]}"  # listing slugs are unique across the test session
    row = listing(actor, publisher_connection(actor), title=title, plan_kind="monthly", monthly_price_cents=500)
    u0, u1, u2, u3, visitor = (make_actor() for _ in range(5))
    with session_scope() as s:
        pinned = s.get(Listing, row.id)
        assert pinned is not None
        version_id, agent_id = pinned.version_id, pinned.agent_id

        def sub(user: Actor, created: datetime, canceled: datetime | None = None) -> Subscription:
            status = "canceled" if canceled else "active"
            row_ = Subscription(
                listing_id=row.id,
                user_id=user.user_id,
                blueprint_version_id=version_id,
                status=status,
                created_at=created,
                canceled_at=canceled,
            )
            s.add(row_)
            return row_

        s0, _s1 = sub(u0, _at(20, month=4)), sub(u1, _at(1, 10))
        s2, _s3 = sub(u2, _at(25, month=4), _at(2)), sub(u3, _at(2), _at(3))
        s.flush()

        def billing(
            sub_: Subscription, user: Actor, status: str, created: datetime, canceled: datetime | None = None
        ) -> str:
            b = BillingSubscription(
                subscription_id=sub_.id,
                listing_id=row.id,
                user_id=user.user_id,
                workspace_id=actor.workspace_id,
                plan_kind="monthly",
                monthly_price_cents=500,
                status=status,
                created_at=created,
                canceled_at=canceled,
            )
            s.add(b)
            s.flush()
            return b.id

        b0 = billing(s0, u0, "active", _at(20, month=4))
        billing(s2, u2, "canceled", _at(25, month=4), _at(2))
        billing(_s1, u1, "incomplete", _at(1, 10))  # never paid: no MRR
        period = BillingPeriod(billing_subscription_id=b0, period_start=_at(20, month=4), period_end=_at(20))
        s.add(period)
        invoice = Invoice(
            number=f"T-{uuid.uuid4().hex[:12]}",
            billing_subscription_id=b0,
            user_id=u0.user_id,
            workspace_id=actor.workspace_id,
            listing_id=row.id,
            subtotal_cents=503,
            total_cents=503,
            status="paid",
            period_start=_at(20, month=4),
            period_end=_at(1),
            paid_at=_at(1),
        )
        s.add(invoice)
        s.flush()
        s.add(
            PublisherEarning(
                invoice_id=invoice.id,
                workspace_id=actor.workspace_id,
                listing_id=row.id,
                billing_subscription_id=b0,
                gross_cents=503,
                platform_fee_cents=101,
                net_cents=402,
                earned_at=_at(1),
            )
        )

        def usage(caller: str, end_user: Actor, at: datetime, cost: int) -> str:
            rec = UsageRecord(
                workspace_id=actor.workspace_id,
                agent_id=agent_id,
                end_user_id=end_user.user_id,
                caller_kind=caller,
                cost_nano_usd=cost,
                created_at=at,
            )
            s.add(rec)
            s.flush()
            return rec.id

        charged = usage("grant", u0, _at(2), 2_000_000)
        usage("visitor", visitor, _at(3), 1_000_000)
        usage("visitor", u1, _at(1, 8), 0)  # tried, then subscribed
        usage("member", actor, _at(2), 9_000_000)  # the publisher's own use is not the listing's cost
        s.add(
            RunCharge(
                run_id=uuid.uuid4().hex,
                usage_record_id=charged,
                billing_subscription_id=b0,
                period_id=period.id,
                occurred_at=_at(2),
                metered=True,
                amount_cents=3,
            )
        )
        for user, stars, day in ((u0, 4, 1), (u1, 5, 1), (u2, 3, 3)):
            s.add(Review(listing_id=row.id, user_id=user.user_id, stars=stars, created_at=_at(day)))
    return {"listing": row.id, "title": title}


def test_figures_per_day_and_totals(actor: Actor, shop: dict[str, Any]) -> None:
    period = custom_period(date(2026, 5, 1), date(2026, 5, 3), "UTC", "day")
    with session_scope() as s:
        view = publisher_view(actor=actor, period=period, listing_id=shop["listing"], session=s)
    rows = [dict(zip(view.series.columns, r, strict=True)) for r in view.series.rows]
    assert [(r["period"], r["subscribers"], r["new_subscribers"], r["churned"]) for r in rows] == [
        ("2026-05-01", 3, 1, 0),
        ("2026-05-02", 3, 1, 1),
        ("2026-05-03", 2, 0, 1),
    ]
    assert [r["mrr_usd"] for r in rows] == ["10.000000", "5.000000", "5.000000"]
    assert [r["gross_revenue_usd"] for r in rows] == ["5.030000", "0.000000", "0.000000"]
    assert [r["platform_fee_usd"] for r in rows] == ["1.010000", "0.000000", "0.000000"]
    assert [r["usage_revenue_usd"] for r in rows] == ["0.000000", "0.030000", "0.000000"]
    assert [r["llm_cost_usd"] for r in rows] == ["0.000000", "0.002000", "0.001000"]
    assert [r["margin_usd"] for r in rows] == ["4.020000", "-0.002000", "-0.001000"]
    assert [r["revenue_per_subscriber_usd"] for r in rows] == ["1.676667", "0.000000", "0.000000"]
    assert [(r["reviews"], r["rating_avg"]) for r in rows] == [(2, 4.5), (0, None), (1, 3.0)]
    totals = dict(view.totals.rows)
    assert totals["Margin (USD)"] == "4.017000" and totals["LLM cost (USD)"] == "0.003000"
    assert (totals["People who tried it"], totals["Of them subscribed"], totals["Trial → paid conversion (%)"]) == (
        2,
        1,
        50.0,
    )
    assert shop["title"] in view.series.title and view.series.to_csv().startswith("period,subscribers,")


def test_only_the_publishers_workspace_sees_a_listing(make_actor: Callable[[], Actor], shop: dict[str, Any]) -> None:
    period = custom_period(date(2026, 5, 1), date(2026, 5, 3), "UTC", "day")
    with session_scope() as s, pytest.raises(NotFound):
        publisher_view(actor=make_actor(), period=period, listing_id=shop["listing"], session=s)


def test_an_empty_period_is_all_zeros(actor: Actor, shop: dict[str, Any]) -> None:
    period = custom_period(date(2026, 6, 1), date(2026, 6, 2), "UTC", "day")
    with session_scope() as s:
        view = publisher_view(actor=actor, period=period, listing_id=shop["listing"], session=s)
    assert [r[1:4] for r in view.series.rows] == [(2, 0, 0), (2, 0, 0)]  # s0 and s1 still subscribe
    assert dict(view.totals.rows)["Trial → paid conversion (%)"] is None
