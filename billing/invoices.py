"""What a period costs: invoice line items from a billing subscription's copied plan and a
period's counters (used by the tick that closes periods, the invoice preview of the open period
and ``reconcile``). Amounts are integer cents of the subscription's currency."""

from __future__ import annotations

from dataclasses import dataclass

from backend.models.billing import BillingPeriod, BillingSubscription
from billing.money import format_cents


@dataclass(frozen=True)
class Line:
    """One invoice line: ``kind`` ``subscription`` (flat monthly price) or ``usage`` (``quantity``
    metered runs × ``unit_amount_cents``); ``amount_cents`` = quantity × unit."""

    kind: str
    description: str
    quantity: int
    unit_amount_cents: int
    amount_cents: int


def _day(moment: object) -> str:
    return moment.strftime("%d %b %Y") if hasattr(moment, "strftime") else ""


def lines_for(bsub: BillingSubscription, period: BillingPeriod, title: str) -> list[Line]:
    """The lines of ``period``'s invoice: the flat monthly price (monthly plans) and the metered
    runs (when there are any, or always on a per-run plan).

    Example: $5.00/month, 2 included runs, $0.01/run, 5 runs -> ``[subscription 1 × 500 = 500,
    usage 3 × 1 = 3]`` (hand-checked in tests/unit/billing/test_tick.py).
    """
    span = f"{_day(period.period_start)} – {_day(period.period_end)}"
    lines = []
    if bsub.plan_kind == "monthly":
        lines.append(
            Line(
                "subscription",
                f"{title}: monthly subscription, {span}"[:200],
                1,
                bsub.monthly_price_cents,
                bsub.monthly_price_cents,
            )
        )
    if period.metered_runs or bsub.plan_kind == "per_run":
        unit = bsub.price_per_run_cents
        what = "Runs" if bsub.plan_kind == "per_run" else f"Runs beyond the {bsub.included_runs:,} included"
        text = f"{title}: {what} ({format_cents(unit, bsub.currency)} each), {span}"[:200]
        lines.append(Line("usage", text, period.metered_runs, unit, period.metered_runs * unit))
    return lines


def total_of(lines: list[Line]) -> int:
    """Sum of the lines' ``amount_cents``."""
    return sum(line.amount_cents for line in lines)
