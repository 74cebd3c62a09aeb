"""Plain, mutable rows the billing pages keep in state (strings and numbers only), built from the
billing services' frozen views."""

from __future__ import annotations

from dataclasses import dataclass, field

from billing.earnings import EarningsRow
from billing.views import InvoiceView, SubscriptionBilling


@dataclass
class LineRow:
    """An invoice line."""

    description: str = ""
    quantity: int = 0
    unit: str = ""
    amount: str = ""


@dataclass
class InvoiceRow:
    """An invoice, or the open period's preview."""

    id: str = ""
    number: str = ""
    listing_title: str = ""
    period: str = ""
    status: str = ""
    total: str = ""
    lines: list[LineRow] = field(default_factory=list)


@dataclass
class SubRow:
    """A paid subscription on the Billing page."""

    id: str = ""
    title: str = ""
    slug: str = ""
    plan: str = ""
    status: str = ""
    note: str = ""
    stripe: bool = False
    period: str = ""
    runs: int = 0
    included_runs: int = 0
    metered_runs: int = 0
    usage: str = ""
    has_preview: bool = False
    preview: InvoiceRow = field(default_factory=InvoiceRow)
    cancel_at_period_end: bool = False
    checkout_url: str = ""
    can_cancel: bool = False


@dataclass
class FigureRow:
    """A line of the Earnings tables."""

    label: str = ""
    runs: int = 0
    gross: str = ""
    fee: str = ""
    net: str = ""
    llm_cost: str = ""
    margin: str = ""
    negative: bool = False


def invoice_row(view: InvoiceView) -> InvoiceRow:
    """The page's copy of an invoice view."""
    return InvoiceRow(
        id=view.id,
        number=view.number,
        listing_title=view.listing_title,
        period=view.period,
        status=view.status,
        total=view.total,
        lines=[LineRow(x.description, x.quantity, x.unit, x.amount) for x in view.lines],
    )


def sub_row(view: SubscriptionBilling) -> SubRow:
    """The page's copy of a paid subscription."""
    return SubRow(
        id=view.id,
        title=view.listing_title,
        slug=view.listing_slug,
        plan=view.plan,
        status=view.status,
        note=view.note,
        stripe=view.provider == "stripe",
        period=view.period,
        runs=view.runs,
        included_runs=view.included_runs,
        metered_runs=view.metered_runs,
        usage=view.usage,
        has_preview=view.preview is not None,
        preview=invoice_row(view.preview) if view.preview else InvoiceRow(),
        cancel_at_period_end=view.cancel_at_period_end,
        checkout_url=view.checkout_url,
        can_cancel=view.status != "canceled" and not view.cancel_at_period_end and view.provider != "stripe",
    )


def figure_row(row: EarningsRow) -> FigureRow:
    """The page's copy of a line of earnings figures."""
    return FigureRow(
        row.label, row.runs, row.gross, row.fee, row.net, row.llm_cost, row.margin, row.margin_nano_usd < 0
    )
