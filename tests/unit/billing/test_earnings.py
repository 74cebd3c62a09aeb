"""The publisher's earnings: revenue, fee, net, LLM cost of subscribers' runs and margin, per
listing, month and subscriber (masked); the subscriber's Billing overview shows usage and the
open period's invoice preview. Figures checked by hand."""

from __future__ import annotations

from collections.abc import Callable
from datetime import timedelta

import pytest

from backend.accounts.actor import Actor, PermissionDenied
from backend.db import session_scope
from backend.models.common import utcnow
from billing.earnings import mask_email, publisher_earnings
from billing.money import format_nano_usd
from billing.outbox import process_pending
from billing.tick import tick
from billing.views import billing_overview
from tests.support.billing import paid_subscriber, usage


def test_money_formats() -> None:
    assert format_nano_usd(2_500_000) == "$0.0025" and format_nano_usd(-1_234_500_000_000) == "-$1,234.50"
    assert mask_email("alice@example.com") == "a•••@example.com"


def test_subscriber_preview_then_publisher_figures(make_actor: Callable[[], Actor]) -> None:
    owner = make_actor()
    start = utcnow() - timedelta(days=31)
    paid = paid_subscriber(owner, make_actor(), confirm_at=start)  # $5/month, 2 included, $0.01 beyond
    for n in range(3):
        usage(paid, cost=40_000_000, at=start + timedelta(days=1, minutes=n))  # $0.04 of LLM each
    process_pending()
    with session_scope() as s:
        [sub] = billing_overview(user_id=paid.fan.user_id, session=s).subscriptions
    assert (sub.runs, sub.metered_runs, sub.usage) == (3, 1, "$0.01")
    assert sub.preview is not None and sub.preview.total == "$5.01"
    assert [(x.quantity, x.unit, x.amount) for x in sub.preview.lines] == [(1, "$5.00", "$5.00"), (1, "$0.01", "$0.01")]
    tick()
    with session_scope() as s:
        report = publisher_earnings(actor=owner, session=s)
        overview = billing_overview(user_id=paid.fan.user_id, session=s)
        with pytest.raises(PermissionDenied):
            publisher_earnings(actor=Actor(user_id=paid.fan.user_id, workspace_id=owner.workspace_id), session=s)
    [invoice] = overview.invoices
    assert (invoice.total, invoice.status, len(invoice.lines)) == ("$5.01", "paid", 2)
    t = report.total  # gross 501, fee 100 (20 % of 501 = 100.2), net 401 cents; LLM $0.12; margin $4.01 - $0.12
    assert (t.runs, t.gross_cents, t.fee_cents, t.net_cents, t.llm_cost_nano_usd) == (3, 501, 100, 401, 120_000_000)
    assert (t.margin_nano_usd, t.margin) == (3_890_000_000, "$3.89")
    [by_listing] = report.by_listing
    [by_subscriber] = report.by_subscriber
    assert by_listing.gross == "$5.01" and by_subscriber.label.endswith("@example.com") and "•••" in by_subscriber.label
    assert not report.stripe_mode and report.payouts[0].status == "paid"
