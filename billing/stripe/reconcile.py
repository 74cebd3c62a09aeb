"""Reconciliation: the ledger's metered runs against Stripe's meter event summaries.

For every Stripe-mode subscription and each of its billing periods, the number of metered
:class:`RunCharge` rows is compared with the sum Stripe's meter reports for the subscriber's
customer over the period (``GET /v1/billing/meters/:id/event_summaries``; each Meter Event has
value 1, so the sum is a count). Summaries are eventually consistent in Stripe: run it some
minutes after the last send.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from datetime import UTC, datetime

import stripe
from sqlmodel import col, func, select

from backend.db import session_scope
from backend.models import BillingCustomer, BillingPeriod, BillingSubscription, ListingPrice, RunCharge
from billing.stripe.client import safe_error, stripe_client


@dataclass(frozen=True)
class _PeriodCount:
    billing_subscription_id: str
    stripe_subscription_id: str
    customer_id: str | None
    meter_id: str | None
    start: datetime
    end: datetime
    metered: int
    unsent: int


def _epoch(moment: datetime) -> float:
    return (moment if moment.tzinfo else moment.replace(tzinfo=UTC)).timestamp()


def _ledger() -> list[_PeriodCount]:
    with session_scope() as session:
        subs = session.exec(
            select(BillingSubscription, BillingCustomer.stripe_customer_id, ListingPrice.stripe_meter_id)
            .outerjoin(BillingCustomer, col(BillingCustomer.user_id) == col(BillingSubscription.user_id))
            .outerjoin(ListingPrice, col(ListingPrice.listing_id) == col(BillingSubscription.listing_id))
            .where(
                BillingSubscription.provider == "stripe", col(BillingSubscription.stripe_subscription_id).is_not(None)
            )
            .order_by(col(BillingSubscription.created_at), col(BillingSubscription.id))
        ).all()
        counts: list[_PeriodCount] = []
        for sub, customer_id, meter_id in subs:
            periods = session.exec(
                select(
                    BillingPeriod,
                    func.count(col(RunCharge.id)),
                    func.count(col(RunCharge.id)).filter(col(RunCharge.meter_sent_at).is_(None)),
                )
                .outerjoin(
                    RunCharge,
                    (col(RunCharge.period_id) == col(BillingPeriod.id)) & col(RunCharge.metered).is_(True),
                )
                .where(BillingPeriod.billing_subscription_id == sub.id)
                .group_by(col(BillingPeriod.id))
                .order_by(col(BillingPeriod.period_start))
            ).all()
            for period, metered, unsent in periods:
                counts.append(
                    _PeriodCount(
                        sub.id,
                        sub.stripe_subscription_id or "",
                        customer_id,
                        meter_id,
                        period.period_start,
                        period.period_end,
                        int(metered),
                        int(unsent),
                    )
                )
        return counts


def _label(c: _PeriodCount) -> str:
    return f"{c.billing_subscription_id} ({c.stripe_subscription_id}) {c.start:%Y-%m-%d}..{c.end:%Y-%m-%d}"


def reconcile_stripe() -> list[str]:
    """One line per difference between the ledger and Stripe, e.g.
    ``"<billing subscription id> (sub_...) 2026-11-02..2026-12-02: ledger 12 metered runs
    (1 not sent yet), Stripe meter 11"``; an empty list when every period matches.

    Periods are widened to whole minutes (Stripe's summaries are minute-aligned). Blocking
    (database, then Stripe): call it from a worker thread or the CLI.

    A period Stripe refuses to summarise (its meter or customer is gone) is reported as a line.

    Raises:
        StripeNotConfigured: Stripe mode is off.
        stripe.StripeError: Stripe could not be reached or failed (other than refusing a request).
    """
    client = stripe_client()
    lines: list[str] = []
    for count in _ledger():
        if not count.customer_id or not count.meter_id:
            if count.metered:
                lines.append(f"{_label(count)}: ledger {count.metered} metered runs, no Stripe customer or meter")
            continue
        start = int(math.floor(_epoch(count.start) / 60) * 60)
        end = int(math.ceil(_epoch(count.end) / 60) * 60)
        try:
            summaries = client.v1.billing.meters.event_summaries.list(
                count.meter_id, params={"customer": count.customer_id, "start_time": start, "end_time": end}
            )
            in_stripe = int(sum(s.aggregated_value for s in summaries.auto_paging_iter()))
        except stripe.InvalidRequestError as exc:  # e.g. the meter or customer is gone in Stripe
            lines.append(f"{_label(count)}: ledger {count.metered} metered runs, Stripe refused: {safe_error(exc)}")
            continue
        if in_stripe != count.metered:
            pending = f" ({count.unsent} not sent yet)" if count.unsent else ""
            lines.append(f"{_label(count)}: ledger {count.metered} metered runs{pending}, Stripe meter {in_stripe}")
    return lines
