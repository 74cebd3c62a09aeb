"""``agenthub billing tick`` in test mode: a period that ended becomes a paid invoice with line
items and the publisher's earning (figures checked by hand), the next period opens; a
cancellation at period end ends the subscription and its access; earnings are paid out (simulated)."""

from __future__ import annotations

from collections.abc import Callable
from datetime import timedelta

from sqlmodel import select

from backend.accounts.actor import Actor
from backend.db import session_scope
from backend.models import AgentGrant, Subscription
from backend.models.billing import Invoice, InvoiceLineItem, Payout, PublisherEarning
from backend.models.common import utcnow
from billing.manage import cancel_subscription
from billing.tick import tick
from tests.support.billing import ledger, paid_subscriber, usage


def _invoice(bsub_id: str) -> tuple[Invoice, list[InvoiceLineItem], PublisherEarning]:
    with session_scope() as s:
        invoice = s.exec(select(Invoice).where(Invoice.billing_subscription_id == bsub_id)).one()
        lines = list(s.exec(select(InvoiceLineItem).where(InvoiceLineItem.invoice_id == invoice.id)))
        earning = s.exec(select(PublisherEarning).where(PublisherEarning.invoice_id == invoice.id)).one()
        s.expunge_all()
    return invoice, sorted(lines, key=lambda x: x.kind != "subscription"), earning


def test_a_period_closes_into_a_paid_invoice_and_the_publishers_earning(make_actor: Callable[[], Actor]) -> None:
    start = utcnow() - timedelta(days=31)
    paid = paid_subscriber(make_actor(), make_actor(), confirm_at=start)  # $5/month, 2 included, $0.01 beyond
    for day in range(5):
        usage(paid, cost=2_000_000, at=start + timedelta(days=day + 1))  # 5 runs of $0.002 LLM cost
    result = tick()
    assert result.invoices >= 1 and result.renewed >= 1
    invoice, lines, earning = _invoice(paid.bsub_id)
    assert [(x.kind, x.quantity, x.unit_amount_cents, x.amount_cents) for x in lines] == [
        ("subscription", 1, 500, 500),
        ("usage", 3, 1, 3),
    ]
    assert (invoice.subtotal_cents, invoice.total_cents, invoice.status) == (503, 503, "paid")
    assert (earning.gross_cents, earning.platform_fee_cents, earning.net_cents) == (
        503,
        101,
        402,
    )  # 20 % of 503 = 100.6
    bsub, [closed, current], _ = ledger(paid)
    assert (closed.status, closed.runs, closed.metered_runs, closed.llm_cost_nano_usd) == ("closed", 5, 3, 10_000_000)
    assert current.status == "open" and current.period_start == closed.period_end
    assert bsub.status == "active" and bsub.current_period_end == current.period_end
    with session_scope() as s:
        payout = s.get(Payout, earning_payout(earning.id))
        assert payout is not None and payout.status == "paid" and payout.workspace_id == paid.owner.workspace_id
    tick()
    assert _invoice(paid.bsub_id)[0].id == invoice.id  # one invoice for the period (``.one()``), not two


def earning_payout(earning_id: str) -> str:
    with session_scope() as s:
        row = s.get(PublisherEarning, earning_id)
        assert row is not None and row.payout_id
        return row.payout_id


def test_cancel_at_period_end_keeps_access_until_the_tick_ends_it(make_actor: Callable[[], Actor]) -> None:
    paid = paid_subscriber(make_actor(), make_actor(), confirm_at=utcnow() - timedelta(days=29))
    with session_scope() as s:
        bsub = cancel_subscription(user_id=paid.fan.user_id, billing_subscription_id=paid.bsub_id, session=s)
        assert bsub.cancel_at_period_end and bsub.status == "active"
    tick()
    assert ledger(paid)[0].status == "active"  # the period has a day left
    tick(now=utcnow() + timedelta(days=2))
    bsub, periods, _ = ledger(paid)
    assert bsub.status == "canceled" and [p.status for p in periods] == ["closed"]
    with session_scope() as s:
        sub = s.get(Subscription, paid.subscription_id)
        grant = s.get(AgentGrant, paid.grant_id)
        assert sub is not None and sub.status == "canceled"
        assert grant is not None and grant.revoked_at is not None
    _, [only], earning = _invoice(paid.bsub_id)
    assert (only.kind, only.amount_cents, earning.platform_fee_cents, earning.net_cents) == (
        "subscription",
        500,
        100,
        400,
    )
