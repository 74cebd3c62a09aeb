"""Publisher analytics of one listing: subscribers, revenue, fees, LLM cost, margin, conversion,
rating — aggregates only (a publisher never sees a subscriber's conversations).

Sources (all read here, written elsewhere): marketplace ``subscriptions`` and ``reviews``; the
billing ledger (``billing_subscriptions`` for MRR, ``run_charges`` for usage revenue, paid
``invoices`` for gross revenue, ``publisher_earnings`` for the platform fee); ``usage_records`` of
the listing's agent called by subscribers (caller ``grant``) and visitors trying it (caller
``visitor``) for the LLM cost the publisher's connection paid. Each figure is one grouped SQL
query per source with the bucket computed in SQL; only the per-bucket sums reach Python.

Money: ledger amounts are cents, LLM cost nano-USD; the table shows every amount in USD with six
decimals (``tables.usd`` of nano-USD; 1 cent = 10,000,000 nano-USD), so a margin of a fraction
of a cent is visible.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import and_, case, func, literal, select
from sqlmodel import Session

from backend.accounts import permissions
from backend.accounts.actor import Actor, NotFound
from backend.analytics.periods import Period, buckets
from backend.analytics.rollup import hour_start
from backend.analytics.tables import Table, percent, usd
from backend.models import Listing, Review, Subscription, UsageRecord
from backend.models.billing import BillingSubscription, Invoice, PublisherEarning, RunCharge

NANO_PER_CENT = 10_000_000
PAYING = ("trialing", "active", "past_due")
"""Billing statuses that count towards MRR (a ``canceled`` one counts until ``canceled_at``)."""
SUBSCRIBER_CALLERS = ("grant", "visitor")

COLUMNS = (
    "period",
    "subscribers",
    "new_subscribers",
    "churned",
    "mrr_usd",
    "gross_revenue_usd",
    "usage_revenue_usd",
    "platform_fee_usd",
    "llm_cost_usd",
    "margin_usd",
    "revenue_per_subscriber_usd",
    "reviews",
    "rating_avg",
)


@dataclass(frozen=True)
class PublisherView:
    """One listing's figures for a period: ``series`` (one row per bucket, :data:`COLUMNS`) and
    ``totals`` (the whole period: revenue, fee, cost, margin, trial → paid conversion)."""

    listing_id: str
    title: str
    series: Table
    totals: Table

    def tables(self) -> tuple[Table, ...]:
        """Both tables, each exportable as CSV/JSON."""
        return (self.series, self.totals)


def _t(model: Any) -> Any:
    return model.__table__.c


def _per_bucket(
    session: Session, moment: Any, value: Any, where: Sequence[Any], start: datetime, ends: Sequence[datetime]
) -> dict[int, int]:
    """``{bucket index: SUM(value)}`` over rows whose ``moment`` is in ``[start, ends[-1])``."""
    bucket = case(*[(moment < end, literal(i)) for i, end in enumerate(ends)])
    rows = select(bucket.label("b"), value.label("v")).where(*where, moment >= start, moment < ends[-1]).subquery()
    found = session.execute(select(rows.c.b, func.coalesce(func.sum(rows.c.v), 0)).group_by(rows.c.b)).all()
    return {int(b): int(v) for b, v in found if b is not None}


def _before(session: Session, moment: Any, value: Any, where: Sequence[Any], start: datetime) -> int:
    """``SUM(value)`` over rows whose ``moment`` is before ``start`` (the state when the period opens)."""
    return int(session.execute(select(func.coalesce(func.sum(value), 0)).where(*where, moment < start)).scalar() or 0)


def _running(base: int, added: dict[int, int], removed: dict[int, int], n: int) -> list[int]:
    out, level = [], base
    for i in range(n):
        level += added.get(i, 0) - removed.get(i, 0)
        out.append(level)
    return out


def _money(session: Session, listing: Listing, start: datetime, ends: Sequence[datetime]) -> dict[str, dict[int, int]]:
    """Per-bucket amounts in nano-USD: MRR changes, gross, usage revenue, fee and LLM cost."""
    bs, rc, inv, pe, ur = _t(BillingSubscription), _t(RunCharge), _t(Invoice), _t(PublisherEarning), _t(UsageRecord)
    mine = [bs.listing_id == listing.id, bs.status != "incomplete"]
    charges = rc.billing_subscription_id.in_(select(bs.id).where(bs.listing_id == listing.id))
    cents = NANO_PER_CENT
    return {
        "mrr_added": _per_bucket(session, bs.created_at, bs.monthly_price_cents * cents, mine, start, ends),
        "mrr_removed": _per_bucket(
            session, bs.canceled_at, bs.monthly_price_cents * cents, [*mine, bs.status == "canceled"], start, ends
        ),
        "gross": _per_bucket(
            session,
            inv.paid_at,
            inv.total_cents * cents,
            [inv.listing_id == listing.id, inv.status == "paid"],
            start,
            ends,
        ),
        "usage": _per_bucket(
            session, rc.occurred_at, rc.amount_cents * cents, [charges, rc.metered.is_(True)], start, ends
        ),
        "fee": _per_bucket(
            session, pe.earned_at, pe.platform_fee_cents * cents, [pe.listing_id == listing.id], start, ends
        ),
        "llm": _per_bucket(
            session,
            ur.created_at,
            ur.cost_nano_usd,
            [
                ur.workspace_id == listing.workspace_id,
                ur.agent_id == listing.agent_id,
                ur.caller_kind.in_(SUBSCRIBER_CALLERS),
            ],
            start,
            ends,
        ),
    }


def _mrr_base(session: Session, listing: Listing, start: datetime) -> int:
    bs = _t(BillingSubscription)
    mine = [bs.listing_id == listing.id, bs.status != "incomplete"]
    added = _before(session, bs.created_at, bs.monthly_price_cents * NANO_PER_CENT, mine, start)
    removed = _before(
        session, bs.canceled_at, bs.monthly_price_cents * NANO_PER_CENT, [*mine, bs.status == "canceled"], start
    )
    return added - removed


def _reviews(
    session: Session, listing: Listing, start: datetime, ends: Sequence[datetime]
) -> tuple[dict[int, int], dict[int, int]]:
    rv = _t(Review)
    where = [rv.listing_id == listing.id]
    return (
        _per_bucket(session, rv.created_at, literal(1), where, start, ends),
        _per_bucket(session, rv.created_at, rv.stars, where, start, ends),
    )


def _conversion(session: Session, listing: Listing, start: datetime, end: datetime) -> tuple[int, int]:
    """People who tried the listing in ``[start, end)`` and how many of them subscribe to it."""
    ur, sub = _t(UsageRecord), _t(Subscription)
    tried = (
        select(ur.end_user_id.label("uid"))
        .where(
            ur.workspace_id == listing.workspace_id,
            ur.agent_id == listing.agent_id,
            ur.caller_kind == "visitor",
            ur.created_at >= start,
            ur.created_at < end,
            ur.end_user_id.is_not(None),
        )
        .distinct()
        .subquery()
    )
    paid = case((sub.id.is_not(None), 1), else_=0)
    joined = tried.outerjoin(Subscription.__table__, and_(sub.user_id == tried.c.uid, sub.listing_id == listing.id))  # type: ignore[attr-defined]
    row = session.execute(select(func.count(), func.coalesce(func.sum(paid), 0)).select_from(joined)).one()
    return int(row[0]), int(row[1])


def _subscribers(
    session: Session, listing: Listing, start: datetime, ends: Sequence[datetime]
) -> tuple[int, dict[int, int], dict[int, int]]:
    sub = _t(Subscription)
    mine, gone = [sub.listing_id == listing.id], [sub.listing_id == listing.id, sub.status == "canceled"]
    one = literal(1)
    base = _before(session, sub.created_at, one, mine, start) - _before(session, sub.canceled_at, one, gone, start)
    return (
        base,
        _per_bucket(session, sub.created_at, one, mine, start, ends),
        _per_bucket(session, sub.canceled_at, one, gone, start, ends),
    )


def _owned_listing(actor: Actor, listing_id: str, session: Session) -> Listing:
    permissions.require(actor, permissions.ANALYTICS_VIEW, session)
    listing = session.get(Listing, listing_id)
    if listing is None or listing.workspace_id != actor.workspace_id:
        raise NotFound("Listing not found.")
    return listing


def publisher_view(*, actor: Actor, period: Period, listing_id: str, session: Session) -> PublisherView:
    """The listing's figures over ``period`` (buckets as on the analytics page).

    Args:
        actor: A member of the listing's (publisher's) workspace.
        period: Range, time zone and granularity (``backend.analytics.periods``).
        listing_id: One of the workspace's listings.
        session: Open session (read only).

    Returns:
        A :class:`PublisherView`: ``series`` has :data:`COLUMNS` per bucket — subscribers at the
        bucket's end, new and churned in it, MRR at its end (monthly prices of paying billing
        subscriptions), paid invoice totals (gross), metered run charges (usage revenue),
        platform fee, LLM cost of subscribers' and visitors' runs, margin (gross − fee − LLM
        cost), gross per subscriber, reviews and their average stars; ``totals`` sums the period
        and adds trial → paid conversion (people who tried it in the period and now subscribe).

    Raises:
        PermissionDenied: not a member of the workspace, or a viewer (``analytics.view``).
        NotFound: not this workspace's listing.
    """
    listing = _owned_listing(actor, listing_id, session)
    points = buckets(period)
    start, ends = hour_start(period.start_hour), [hour_start(b.end_hour) for b in points]
    base, new, churned = _subscribers(session, listing, start, ends)
    active = _running(base, new, churned, len(points))
    money = _money(session, listing, start, ends)
    mrr = _running(_mrr_base(session, listing, start), money["mrr_added"], money["mrr_removed"], len(points))
    counts, stars = _reviews(session, listing, start, ends)
    rows = []
    for i, b in enumerate(points):
        gross, fee, llm = money["gross"].get(i, 0), money["fee"].get(i, 0), money["llm"].get(i, 0)
        n = counts.get(i, 0)
        rows.append(
            (
                b.label, active[i], new.get(i, 0), churned.get(i, 0), usd(mrr[i]), usd(gross),
                usd(money["usage"].get(i, 0)), usd(fee), usd(llm), usd(gross - fee - llm),
                usd(gross // active[i]) if active[i] > 0 else None, n,
                round(stars.get(i, 0) / n, 2) if n else None,
            )
        )  # fmt: skip
    series = Table("publisher_over_time", f"“{listing.title}” over time", COLUMNS, tuple(rows))
    return PublisherView(
        listing.id, listing.title, series, _totals(session, listing, period, money, active, new, churned)
    )


def _totals(
    session: Session,
    listing: Listing,
    period: Period,
    money: dict[str, dict[int, int]],
    active: list[int],
    new: dict[int, int],
    churned: dict[int, int],
) -> Table:
    def total(key: str) -> int:
        return sum(money[key].values())

    gross, fee, llm = total("gross"), total("fee"), total("llm")
    tried, converted = _conversion(session, listing, hour_start(period.start_hour), hour_start(period.end_hour))
    rows = (
        ("Subscribers at the end", active[-1] if active else 0),
        ("New subscribers", sum(new.values())),
        ("Churned subscribers", sum(churned.values())),
        ("Gross revenue (USD)", usd(gross)),
        ("Usage revenue (USD)", usd(total("usage"))),
        ("Platform fee (USD)", usd(fee)),
        ("LLM cost (USD)", usd(llm)),
        ("Margin (USD)", usd(gross - fee - llm)),
        ("People who tried it", tried),
        ("Of them subscribed", converted),
        ("Trial → paid conversion (%)", percent(converted, tried)),
    )
    return Table("publisher_totals", "Totals of the period", ("figure", "value"), rows)


def listing_choices(*, actor: Actor, session: Session) -> list[tuple[str, str]]:
    """``(listing id, title)`` of the workspace's listings (any status), by title, for the filter.

    Raises:
        PermissionDenied: the actor is not a member of the workspace, or a viewer (``analytics.view``).
    """
    permissions.require(actor, permissions.ANALYTICS_VIEW, session)
    t = _t(Listing)
    rows = session.execute(select(t.id, t.title).where(t.workspace_id == actor.workspace_id).order_by(t.title, t.id))
    return [(str(i), str(title)) for i, title in rows.all()]
