"""The subscriber's Billing page, read from the ledger: paid subscriptions with their status,
next renewal, usage of the open period and the would-be invoice of that period (preview), and
issued invoices with their line items. Amounts come formatted (``billing.money.format_cents``)
next to their integer cents."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlmodel import Session, col, select

from backend.models import Listing
from backend.models.billing import BillingPeriod, BillingSubscription, Invoice, InvoiceLineItem
from backend.models.common import utcnow
from billing.checkout import plan_sentence
from billing.entitlements import access_of
from billing.invoices import Line, lines_for, total_of
from billing.ledger import open_period_of
from billing.money import format_cents
from billing.settings import get_billing_settings


def day(moment: datetime | None) -> str:
    """``02 Jan 2027`` (UTC), or ``""``."""
    return moment.strftime("%d %b %Y") if moment else ""


def billing_note(bsub: BillingSubscription, now: datetime | None = None) -> str:
    """One sentence on a paid subscription's state, e.g. ``"Renews on 02 Jan 2027"``."""
    access = access_of(bsub, now or utcnow())
    if bsub.status == "incomplete":
        return "Checkout not finished"
    if bsub.status == "past_due":
        return f"Payment failed: access until {day(access.until)}" if access.allowed else "Payment failed: access ended"
    if bsub.status == "canceled" or bsub.cancel_at_period_end:
        return (
            f"Ends on {day(bsub.current_period_end)}" if access.allowed else f"Ended on {day(bsub.current_period_end)}"
        )
    return f"Renews on {day(bsub.current_period_end)}"


@dataclass(frozen=True)
class LineView:
    """An invoice line as shown: description, quantity, unit price and amount (formatted)."""

    description: str
    quantity: int
    unit: str
    amount: str


@dataclass(frozen=True)
class InvoiceView:
    """An invoice (or the open period's preview, ``number`` ``""``): its period, status, total
    (``total_cents`` and formatted) and lines."""

    id: str
    number: str
    listing_title: str
    period: str
    status: str
    total_cents: int
    total: str
    lines: tuple[LineView, ...]


@dataclass(frozen=True)
class SubscriptionBilling:
    """One paid subscription on the Billing page. ``runs``/``metered_runs`` of the open period;
    ``usage`` what its metered runs cost so far; ``preview`` the open period's would-be invoice."""

    id: str
    listing_title: str
    listing_slug: str
    plan: str
    status: str
    note: str
    provider: str
    period: str
    runs: int
    included_runs: int
    metered_runs: int
    usage: str
    preview: InvoiceView | None
    cancel_at_period_end: bool
    checkout_url: str


@dataclass(frozen=True)
class BillingOverview:
    """The Billing page: subscriptions (newest first), invoices (newest first), Stripe mode."""

    subscriptions: tuple[SubscriptionBilling, ...]
    invoices: tuple[InvoiceView, ...]
    stripe_mode: bool


def _line_view(line: Line | InvoiceLineItem, currency: str) -> LineView:
    return LineView(
        line.description,
        line.quantity,
        format_cents(line.unit_amount_cents, currency),
        format_cents(line.amount_cents, currency),
    )


def _preview(bsub: BillingSubscription, period: BillingPeriod, title: str) -> InvoiceView:
    lines = lines_for(bsub, period, title)
    total = total_of(lines)
    return InvoiceView(
        id=f"preview-{period.id}",
        number="",
        listing_title=title,
        period=f"{day(period.period_start)} – {day(period.period_end)}",
        status="preview",
        total_cents=total,
        total=format_cents(total, bsub.currency),
        lines=tuple(_line_view(x, bsub.currency) for x in lines),
    )


def _subscription(bsub: BillingSubscription, title: str, slug: str, session: Session) -> SubscriptionBilling:
    period = open_period_of(bsub.id, session) if bsub.status != "incomplete" else None
    metered = period.metered_runs if period else 0
    return SubscriptionBilling(
        id=bsub.id,
        listing_title=title,
        listing_slug=slug,
        plan=plan_sentence(bsub),
        status=bsub.status,
        note=billing_note(bsub),
        provider=bsub.provider,
        period=f"{day(period.period_start)} – {day(period.period_end)}" if period else "",
        runs=period.runs if period else 0,
        included_runs=bsub.included_runs,
        metered_runs=metered,
        usage=format_cents(metered * bsub.price_per_run_cents, bsub.currency),
        preview=_preview(bsub, period, title) if period else None,
        cancel_at_period_end=bsub.cancel_at_period_end,
        checkout_url=f"/billing/checkout/{bsub.id}" if bsub.status == "incomplete" and bsub.provider == "test" else "",
    )


def billing_overview(*, user_id: str, session: Session, invoice_limit: int = 50) -> BillingOverview:
    """The user's own paid subscriptions and invoices (never anyone else's)."""
    rows = session.exec(
        select(BillingSubscription, Listing)
        .join(Listing, col(Listing.id) == col(BillingSubscription.listing_id))
        .where(BillingSubscription.user_id == user_id)
        .order_by(col(BillingSubscription.created_at).desc())
    ).all()
    subs = tuple(_subscription(b, x.title, x.slug, session) for b, x in rows)
    titles = {b.id: x.title for b, x in rows}
    invoices = session.exec(
        select(Invoice)
        .where(Invoice.user_id == user_id)
        .order_by(col(Invoice.period_end).desc(), col(Invoice.issued_at).desc())
        .limit(invoice_limit)
    ).all()
    items: dict[str, list[InvoiceLineItem]] = {}
    if invoices:
        for item in session.exec(
            select(InvoiceLineItem).where(col(InvoiceLineItem.invoice_id).in_([i.id for i in invoices]))
        ):
            items.setdefault(item.invoice_id, []).append(item)
    views = tuple(
        InvoiceView(
            id=i.id,
            number=i.number,
            listing_title=titles.get(i.billing_subscription_id, ""),
            period=f"{day(i.period_start)} – {day(i.period_end)}",
            status=i.status,
            total_cents=i.total_cents,
            total=format_cents(i.total_cents, i.currency),
            lines=tuple(
                _line_view(x, i.currency) for x in sorted(items.get(i.id, []), key=lambda x: x.kind != "subscription")
            ),
        )
        for i in invoices
    )
    return BillingOverview(subs, views, get_billing_settings().stripe_mode)
