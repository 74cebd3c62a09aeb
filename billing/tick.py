"""Offline test mode's renewals: ``agenthub billing tick`` (and the worker on its schedule).

For each test-mode billing subscription whose period ended: close the period (claimed with a
conditional UPDATE, so two tick runners never invoice it twice; ``invoices.period_id`` is unique
too) into an :class:`Invoice` with its line items (flat monthly + metered runs × unit price),
marked paid (no card is charged in test mode), and one :class:`PublisherEarning` (platform fee
rounded half up, ``billing.money.platform_fee_cents``); then open the next period, or end the
subscription when it was canceled at period end. ``past_due`` subscriptions beyond the grace
period lose access. Earnings of test-mode subscriptions are paid out as simulated
:class:`Payout` rows. Stripe-mode subscriptions are renewed by Stripe (its webhooks).
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from sqlalchemy import update
from sqlmodel import Session, col, select

from backend.db import session_scope
from backend.models import Listing
from backend.models.billing import (
    BillingPeriod,
    BillingSubscription,
    Invoice,
    InvoiceLineItem,
    Payout,
    PublisherEarning,
)
from backend.models.common import new_id, utcnow
from billing.invoices import lines_for, total_of
from billing.ledger import end_marketplace_subscription, open_period, open_period_of
from billing.money import platform_fee_cents
from billing.outbox import process_pending
from billing.settings import get_billing_settings

log = logging.getLogger(__name__)
MAX_CATCH_UP = 24
"""Periods closed for one subscription in one tick (a worker that was down for two years)."""


@dataclass
class TickResult:
    """What one tick did: outbox rows processed, invoices issued, periods opened, subscriptions
    ended (canceled at period end or unpaid beyond grace), simulated payouts."""

    outbox_rows: int = 0
    invoices: int = 0
    renewed: int = 0
    ended: int = 0
    payouts: int = 0
    errors: list[str] = field(default_factory=list)


def close_period(session: Session, bsub: BillingSubscription, period: BillingPeriod, now: datetime) -> Invoice | None:
    """Close ``period`` into a paid invoice with line items and the publisher's earning; None
    when another runner closed it first."""
    claimed = session.execute(
        update(BillingPeriod)
        .where(col(BillingPeriod.id) == period.id, col(BillingPeriod.status) == "open")
        .values(status="closed", closed_at=now)
        .execution_options(synchronize_session=False)
    )
    if claimed.rowcount != 1:  # type: ignore[attr-defined]
        return None
    session.refresh(period)
    listing = session.get(Listing, bsub.listing_id)
    lines = lines_for(bsub, period, listing.title if listing else "Agent")
    total = total_of(lines)
    invoice_id = new_id()
    invoice = Invoice(
        id=invoice_id, number=f"AH-{period.period_end:%Y%m}-{invoice_id[:10].upper()}",
        billing_subscription_id=bsub.id, period_id=period.id, user_id=bsub.user_id,
        workspace_id=bsub.workspace_id, listing_id=bsub.listing_id, currency=bsub.currency,
        subtotal_cents=total, total_cents=total, status="paid", period_start=period.period_start,
        period_end=period.period_end, issued_at=now, paid_at=now,
    )  # fmt: skip
    session.add(invoice)
    session.flush()
    for line in lines:
        session.add(InvoiceLineItem(invoice_id=invoice.id, **line.__dict__))
    fee = platform_fee_cents(total, bsub.platform_fee_bps)
    session.add(
        PublisherEarning(
            invoice_id=invoice.id,
            workspace_id=bsub.workspace_id,
            listing_id=bsub.listing_id,
            billing_subscription_id=bsub.id,
            currency=bsub.currency,
            gross_cents=total,
            platform_fee_cents=fee,
            net_cents=total - fee,
            earned_at=now,
        )  # fmt: skip
    )
    session.flush()
    return invoice


def _renew(bsub_id: str, now: datetime, result: TickResult) -> None:
    """Close every ended period of one subscription and open the next (one transaction)."""
    with session_scope() as session:
        bsub = session.get(BillingSubscription, bsub_id)
        if bsub is None:
            return
        for _ in range(MAX_CATCH_UP):
            period = open_period_of(bsub.id, session)
            if period is None or period.period_end > now:
                break
            if close_period(session, bsub, period, now) is not None:
                result.invoices += 1
            if bsub.cancel_at_period_end or bsub.status == "canceled":
                bsub.status, bsub.canceled_at, bsub.updated_at = "canceled", bsub.canceled_at or now, now
                session.add(bsub)
                end_marketplace_subscription(bsub.subscription_id, session)
                result.ended += 1
                break
            open_period(bsub, period.period_end, session)
            result.renewed += 1


def _due(now: datetime) -> list[str]:
    with session_scope() as session:
        rows = session.exec(
            select(BillingPeriod.billing_subscription_id)
            .join(BillingSubscription, col(BillingSubscription.id) == col(BillingPeriod.billing_subscription_id))
            .where(
                BillingPeriod.status == "open",
                col(BillingPeriod.period_end) <= now,
                BillingSubscription.provider == "test",
            )
        ).all()
    return sorted(set(rows))


def _expire_past_due(now: datetime, result: TickResult) -> None:
    cutoff = now - timedelta(days=get_billing_settings().grace_days)
    with session_scope() as session:
        rows = session.exec(
            select(BillingSubscription).where(
                BillingSubscription.provider == "test",
                BillingSubscription.status == "past_due",
                col(BillingSubscription.past_due_since) <= cutoff,
            )
        ).all()
        for bsub in rows:
            bsub.status, bsub.canceled_at, bsub.updated_at = "canceled", now, now
            session.add(bsub)
            end_marketplace_subscription(bsub.subscription_id, session)
            result.ended += 1


def simulate_payouts(now: datetime) -> int:
    """Test mode: pay each workspace's unpaid earnings of test-mode subscriptions as one
    simulated, already ``paid`` :class:`Payout` per workspace and currency (amount = the sum of
    the earnings' ``net_cents`` it links). Returns payouts made."""
    with session_scope() as session:
        rows = session.exec(
            select(
                PublisherEarning.id,
                PublisherEarning.workspace_id,
                PublisherEarning.currency,
                PublisherEarning.net_cents,
            )
            .join(BillingSubscription, col(BillingSubscription.id) == col(PublisherEarning.billing_subscription_id))
            .where(col(PublisherEarning.payout_id).is_(None), BillingSubscription.provider == "test")
        ).all()
        groups: dict[tuple[str, str], list[tuple[str, int]]] = {}
        for earning_id, workspace_id, currency, net in rows:
            groups.setdefault((workspace_id, currency), []).append((earning_id, int(net)))
        for (workspace_id, currency), earnings in groups.items():
            payout = Payout(
                workspace_id=workspace_id,
                currency=currency,
                amount_cents=sum(net for _, net in earnings),
                status="paid",
                paid_at=now,
            )
            session.add(payout)
            session.flush()
            linked = session.execute(
                update(PublisherEarning)
                .where(
                    col(PublisherEarning.id).in_([e for e, _ in earnings]), col(PublisherEarning.payout_id).is_(None)
                )
                .values(payout_id=payout.id)
                .execution_options(synchronize_session=False)
            )
            if linked.rowcount != len(earnings):  # type: ignore[attr-defined]
                raise RuntimeError("another tick paid out some of these earnings")  # rolls back this pass
    return len(groups)


def tick(*, now: datetime | None = None) -> TickResult:
    """One pass: process the outbox, then close ended test-mode periods, renew or end the
    subscriptions, expire ``past_due`` ones beyond grace and simulate payouts (blocking)."""
    now = now or utcnow()
    result = TickResult(outbox_rows=process_pending())
    for bsub_id in _due(now):
        try:
            _renew(bsub_id, now, result)
        except Exception as exc:  # one subscription must not stop the others
            log.exception("billing tick failed for %s", bsub_id)
            result.errors.append(f"{bsub_id}: {type(exc).__name__}")
    _expire_past_due(now, result)
    result.payouts = simulate_payouts(now)
    return result
