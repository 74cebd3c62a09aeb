"""``agenthub billing reconcile``: the ledger against a recomputation from its sources.

Checks, each difference one line of text:

* every run of a paid subscriber inside a billing period (from billable usage records whose
  outbox row is done) has exactly one :class:`RunCharge`, and no charge lacks such a run;
* each charge's LLM cost equals the sum of its run's usage records (nano-USD);
* each period's ``runs``, ``metered_runs`` and ``llm_cost_nano_usd`` equal its charges; the
  metered runs are those beyond ``included_runs`` (all on a per-run plan), at the plan's price;
* each invoice's lines equal the lines recomputed from its period, its subtotal and total their
  sum; each earning's gross, fee (``platform_fee_cents``) and net follow from its invoice;
  each closed period has an invoice; each payout equals the net of the earnings it paid;
* outbox rows that failed too often, or wait longer than an hour.

In Stripe mode ``billing.stripe.reconcile.reconcile_stripe`` adds the differences with Stripe.
"""

from __future__ import annotations

from collections import defaultdict
from datetime import timedelta
from typing import Any

from sqlalchemy import and_, func, select
from sqlmodel import Session, col

from backend.models import AgentGrant, Listing, Subscription, UsageRecord
from backend.models.billing import (
    BillingPeriod,
    BillingSubscription,
    Invoice,
    InvoiceLineItem,
    Payout,
    PublisherEarning,
    RunCharge,
)
from backend.models.common import utcnow
from backend.models.outbox import BillingOutbox
from billing.invoices import lines_for, total_of
from billing.money import platform_fee_cents
from billing.outbox import MAX_ATTEMPTS

_U: Any = UsageRecord.__table__  # type: ignore[attr-defined]
_O: Any = BillingOutbox.__table__  # type: ignore[attr-defined]
_G: Any = AgentGrant.__table__  # type: ignore[attr-defined]
_S: Any = Subscription.__table__  # type: ignore[attr-defined]
_B: Any = BillingSubscription.__table__  # type: ignore[attr-defined]


def _expected_runs(session: Session, periods: dict[str, list[BillingPeriod]]) -> dict[str, dict[str, int]]:
    """billing subscription id -> run id -> LLM cost (nano-USD) of its processed billable records
    inside one of the subscription's periods."""
    joined = (
        _U.join(_O, _O.c.usage_record_id == _U.c.id)
        .join(_G, and_(_U.c.caller_kind == "grant", _G.c.id == _U.c.caller_id))
        .join(_S, and_(_S.c.user_id == _G.c.grantee_user_id, _S.c.grant_id == _G.c.id))
        .join(_B, _B.c.subscription_id == _S.c.id)
    )
    stmt = (
        select(_B.c.id, _U.c.run_id, _U.c.created_at, _U.c.cost_nano_usd)
        .select_from(joined)
        .where(_O.c.done_at.is_not(None), _U.c.run_id.is_not(None))
        .order_by(_U.c.created_at)
    )
    runs: dict[str, dict[str, int]] = defaultdict(dict)
    for bsub_id, run_id, at, cost in session.execute(stmt):
        mine = runs[bsub_id]
        if run_id in mine:
            mine[run_id] += int(cost)
        elif any(p.period_start <= at < p.period_end for p in periods.get(bsub_id, [])):
            mine[run_id] = int(cost)
    return runs


def _charges(session: Session, periods: dict[str, list[BillingPeriod]], out: list[str]) -> dict[str, list[RunCharge]]:
    expected = _expected_runs(session, periods)
    by_period: dict[str, list[RunCharge]] = defaultdict(list)
    charged: dict[str, dict[str, RunCharge]] = defaultdict(dict)
    for charge in session.scalars(select(RunCharge).order_by(col(RunCharge.occurred_at))):
        by_period[charge.period_id].append(charge)
        charged[charge.billing_subscription_id][charge.run_id] = charge
    for bsub_id in sorted(set(expected) | set(charged)):
        want, have = expected.get(bsub_id, {}), charged.get(bsub_id, {})
        for run_id in sorted(set(want) - set(have)):
            out.append(f"subscription {bsub_id}: run {run_id} has usage records but no run charge")
        for run_id in sorted(set(have) - set(want)):
            out.append(f"subscription {bsub_id}: run charge of run {run_id} has no processed usage record")
        for run_id in sorted(set(want) & set(have)):
            if have[run_id].llm_cost_nano_usd != want[run_id]:
                out.append(
                    f"run {run_id}: charge LLM cost {have[run_id].llm_cost_nano_usd} nano-USD, "
                    f"usage records {want[run_id]} nano-USD"
                )
    return by_period


def _periods(session: Session, bsubs: dict[str, BillingSubscription], out: list[str]) -> dict[str, BillingPeriod]:
    periods: dict[str, list[BillingPeriod]] = defaultdict(list)
    every: dict[str, BillingPeriod] = {}
    for period in session.scalars(select(BillingPeriod)):
        periods[period.billing_subscription_id].append(period)
        every[period.id] = period
    charges = _charges(session, periods, out)
    for period in every.values():
        bsub, mine = bsubs[period.billing_subscription_id], charges.get(period.id, [])
        metered = [c for c in mine if c.metered]
        want_metered = len(mine) if bsub.plan_kind == "per_run" else max(0, len(mine) - bsub.included_runs)
        figures = (period.runs, period.metered_runs, period.llm_cost_nano_usd)
        recomputed = (len(mine), len(metered), sum(c.llm_cost_nano_usd for c in mine))
        if figures != recomputed:
            out.append(
                f"period {period.id}: runs/metered/LLM cost {figures} in the ledger, {recomputed} from its charges"
            )
        if len(metered) != want_metered:
            out.append(f"period {period.id}: {len(metered)} metered runs, {want_metered} beyond the included runs")
        wrong = [c.run_id for c in metered if c.amount_cents != bsub.price_per_run_cents]
        wrong += [c.run_id for c in mine if not c.metered and c.amount_cents != 0]
        if wrong:
            out.append(f"period {period.id}: runs {', '.join(wrong[:5])} charged another amount than the plan's")
    return every


def _figures(lines: list[Any]) -> list[tuple[str, int, int, int]]:
    return sorted((x.kind, x.quantity, x.unit_amount_cents, x.amount_cents) for x in lines)


def _check_invoice(
    invoice: Invoice,
    bsub: BillingSubscription | None,
    want: list[Any] | None,
    have: list[tuple[str, int, int, int]],
    earning: PublisherEarning | None,
    out: list[str],
) -> None:
    name = f"invoice {invoice.number}"
    if want is not None and have != _figures(want):
        out.append(f"{name}: lines {have}, recomputed {_figures(want)}")
    if want is not None and invoice.total_cents != total_of(want):
        out.append(f"{name}: total {invoice.total_cents}, recomputed {total_of(want)} cents")
    added = sum(x[3] for x in have)
    if invoice.subtotal_cents != added or invoice.total_cents != invoice.subtotal_cents:
        out.append(f"{name}: subtotal/total {invoice.subtotal_cents}/{invoice.total_cents}, lines add up to {added}")
    if invoice.status == "paid" and earning is None:
        out.append(f"{name}: paid but no publisher earning")
    if earning is not None and bsub is not None:
        fee = platform_fee_cents(invoice.total_cents, bsub.platform_fee_bps)
        expected = (invoice.total_cents, fee, invoice.total_cents - fee)
        stored = (earning.gross_cents, earning.platform_fee_cents, earning.net_cents)
        if stored != expected:
            out.append(f"{name}: earning gross/fee/net {stored}, expected {expected}")


def _invoices(
    session: Session, bsubs: dict[str, BillingSubscription], periods: dict[str, BillingPeriod], out: list[str]
) -> None:
    lines: dict[str, list[InvoiceLineItem]] = defaultdict(list)
    for item in session.scalars(select(InvoiceLineItem)):
        lines[item.invoice_id].append(item)
    earnings = {e.invoice_id: e for e in session.scalars(select(PublisherEarning))}
    titles = {i: t for i, t in session.execute(select(Listing.id, Listing.title))}  # type: ignore[call-overload]
    invoiced = set()
    for invoice in session.scalars(select(Invoice)):
        invoiced.add(invoice.period_id)
        bsub, period = bsubs.get(invoice.billing_subscription_id), periods.get(invoice.period_id or "")
        want = None
        if bsub is not None and period is not None and bsub.provider == "test":
            want = lines_for(bsub, period, titles.get(bsub.listing_id, ""))
        _check_invoice(invoice, bsub, want, _figures(lines[invoice.id]), earnings.get(invoice.id), out)
    for period in periods.values():
        test_mode = bsubs[period.billing_subscription_id].provider == "test"
        if period.status == "closed" and period.id not in invoiced and test_mode:
            out.append(f"period {period.id}: closed without an invoice")
    net: dict[str, int] = defaultdict(int)
    for earning in earnings.values():
        if earning.payout_id:
            net[earning.payout_id] += earning.net_cents
    for payout in session.scalars(select(Payout)):
        if payout.stripe_transfer_id is None and payout.amount_cents != net.get(payout.id, 0):
            out.append(
                f"payout {payout.id}: {payout.amount_cents} cents, its earnings' net {net.get(payout.id, 0)} cents"
            )


def _outbox(session: Session, out: list[str]) -> None:
    stuck = session.execute(
        select(_O.c.id, _O.c.attempts, _O.c.last_error).where(_O.c.done_at.is_(None), _O.c.attempts >= MAX_ATTEMPTS)
    ).all()
    for outbox_id, attempts, error in stuck:
        out.append(f"outbox row {outbox_id}: failed {attempts} times ({error[:120]})")
    late = session.execute(
        select(func.count()).where(
            _O.c.done_at.is_(None), _O.c.attempts < MAX_ATTEMPTS, _O.c.created_at < utcnow() - timedelta(hours=1)
        )
    ).scalar_one()
    if late:
        out.append(f"{late} outbox row(s) waiting for more than an hour (is the worker running?)")


def reconcile_ledger(*, session: Session) -> list[str]:
    """Every difference between the ledger and its recomputation (empty: none). Read-only."""
    out: list[str] = []
    bsubs = {b.id: b for b in session.scalars(select(BillingSubscription))}
    periods = _periods(session, bsubs, out)
    _invoices(session, bsubs, periods, out)
    _outbox(session, out)
    return out
