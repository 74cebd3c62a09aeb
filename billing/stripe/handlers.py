"""What each Stripe webhook event does to the ledger, in two steps: :func:`fetch` retrieves the
event's objects from Stripe as they are now (outside any transaction), :func:`apply` writes the
ledger (inside the webhook's one transaction). Events of objects that are not ours are ignored.

- ``checkout.session.completed``: link the Stripe subscription and customer to the billing
  subscription named by ``client_reference_id`` (or metadata), then as below.
- ``customer.subscription.created/updated/deleted``: status, current period,
  ``cancel_at_period_end``, past-due and ended times (:mod:`billing.stripe.sync`).
- ``invoice.paid`` / ``invoice.payment_failed``: the subscription as above, then our
  :class:`Invoice` with its :class:`InvoiceLineItem` rows (from Stripe's lines) and, once paid,
  one :class:`PublisherEarning` (gross = total, fee = gross x the subscription's fee bps, rounded
  half up, net = gross - fee).
- ``account.updated``: the publisher's Connect account flags and status.
"""

from __future__ import annotations

from decimal import Decimal
from typing import Any

import stripe
from sqlmodel import Session, col, select

from backend.models import (
    BillingPeriod,
    BillingSubscription,
    Invoice,
    InvoiceLineItem,
    PublisherAccount,
    PublisherEarning,
)
from billing.money import platform_fee_cents
from billing.stripe.connect import apply_account
from billing.stripe.sync import apply_subscription, find_billing_subscription, from_epoch, link_customer, may_link

SUBSCRIPTION_EVENTS = (
    "customer.subscription.created",
    "customer.subscription.updated",
    "customer.subscription.deleted",
)
INVOICE_EVENTS = ("invoice.paid", "invoice.payment_failed")
HANDLED = ("checkout.session.completed", *SUBSCRIPTION_EVENTS, *INVOICE_EVENTS, "account.updated")


def _invoice_subscription_id(invoice: dict[str, Any]) -> str | None:
    details = ((invoice.get("parent") or {}).get("subscription_details")) or {}
    return _id(details.get("subscription") or invoice.get("subscription"))


def _lines(client: stripe.StripeClient, invoice: dict[str, Any]) -> list[dict[str, Any]]:
    lines = list(invoice["lines"]["data"])
    while invoice["lines"].get("has_more") and lines:
        page = client.v1.invoices.line_items.list(
            invoice["id"], params={"limit": 100, "starting_after": lines[-1]["id"]}
        )
        lines.extend(page.to_dict()["data"])
        if not page.has_more:
            break
    return lines


def fetch(event_type: str, obj: dict[str, Any], client: stripe.StripeClient) -> dict[str, Any]:
    """Retrieve what the event is about, as Stripe has it now, as plain dicts:
    ``{"subscription": ..., "checkout": ..., "invoice": ..., "lines": [...], "prices": {id: price},
    "account": ...}`` (only the keys the event type needs; ``{}`` for types we ignore).

    Raises:
        stripe.StripeError: Stripe could not be reached (the webhook answers 500; Stripe retries).
    """
    got: dict[str, Any] = {}
    if event_type == "checkout.session.completed":
        got["checkout"] = checkout = client.v1.checkout.sessions.retrieve(obj["id"]).to_dict()
        sub_id = _id(checkout.get("subscription"))
        if sub_id:
            got["subscription"] = client.v1.subscriptions.retrieve(sub_id).to_dict()
    elif event_type in SUBSCRIPTION_EVENTS:
        got["subscription"] = client.v1.subscriptions.retrieve(obj["id"]).to_dict()
    elif event_type in INVOICE_EVENTS:
        got["invoice"] = invoice = client.v1.invoices.retrieve(obj["id"]).to_dict()
        sub_id = _invoice_subscription_id(invoice)
        if sub_id:
            got["subscription"] = client.v1.subscriptions.retrieve(sub_id).to_dict()
            got["lines"] = _lines(client, invoice)
            price_ids = sorted({p for p in (_line_price(line) for line in got["lines"]) if p})
            got["prices"] = {pid: client.v1.prices.retrieve(pid).to_dict() for pid in price_ids}
    elif event_type == "account.updated":
        got["account"] = client.v1.accounts.retrieve(obj["id"]).to_dict()
    return got


def _id(value: Any) -> str | None:
    """An expandable field's id (a string, or an expanded object's ``id``)."""
    if value is None or isinstance(value, str):
        return value
    return str(value.get("id")) if isinstance(value, dict) else None


def _line_price(line: Any) -> str | None:
    details = ((line.get("pricing") or {}).get("price_details")) or {}
    return _id(details.get("price") or line.get("price"))


def _apply_checkout(got: dict[str, Any], session: Session) -> None:
    checkout = got["checkout"]
    ours = checkout.get("client_reference_id") or (checkout.get("metadata") or {}).get("billing_subscription_id")
    row = session.get(BillingSubscription, ours) if ours else None
    if row is None:
        return
    if row.stripe_checkout_session_id != checkout["id"]:
        row.stripe_checkout_session_id = checkout["id"]
    link_customer(row, checkout.get("customer"), session)
    stripe_sub = got.get("subscription")
    if stripe_sub is not None and may_link(row, stripe_sub):
        if row.stripe_subscription_id != stripe_sub["id"]:
            row.stripe_subscription_id = stripe_sub["id"]
            row.canceled_at = row.past_due_since = None
        apply_subscription(row, stripe_sub, session)
    session.add(row)


def _period_id(row: BillingSubscription, lines: list[Any], session: Session) -> str | None:
    """The billing period the invoice's usage lines cover (not yet on another invoice), if any."""
    starts = [from_epoch(line["period"]["start"]) for line in lines if line.get("period")]
    if not starts:
        return None
    taken = select(Invoice.period_id).where(col(Invoice.period_id).is_not(None))
    period = session.exec(
        select(BillingPeriod)
        .where(
            BillingPeriod.billing_subscription_id == row.id,
            col(BillingPeriod.period_start) <= max(s for s in starts if s),
            col(BillingPeriod.period_end) > min(s for s in starts if s),
            col(BillingPeriod.id).not_in(taken),
        )
        .order_by(col(BillingPeriod.period_start))
    ).first()
    return period.id if period else None


def _new_invoice(row: BillingSubscription, got: dict[str, Any], session: Session) -> Invoice:
    invoice = got["invoice"]
    number = invoice.get("number") or invoice["id"]
    if session.exec(select(Invoice).where(Invoice.number == number)).first() is not None:
        number = invoice["id"]
    ours = Invoice(
        number=number[:40],
        billing_subscription_id=row.id,
        period_id=_period_id(row, got["lines"], session),
        user_id=row.user_id,
        workspace_id=row.workspace_id,
        listing_id=row.listing_id,
        currency=invoice.get("currency") or row.currency,
        subtotal_cents=int(invoice.get("subtotal") or 0),
        total_cents=int(invoice.get("total") or 0),
        period_start=from_epoch(invoice["period_start"]) or row.created_at,
        period_end=from_epoch(invoice["period_end"]) or row.created_at,
        stripe_invoice_id=invoice["id"],
    )
    session.add(ours)
    session.flush()
    for line in got["lines"]:
        price = got["prices"].get(_line_price(line) or "")
        usage = bool(price and (price.get("recurring") or {}).get("usage_type") == "metered")
        quantity = int(line.get("quantity") or 0)
        unit = ((line.get("pricing") or {}).get("unit_amount_decimal")) or (price or {}).get("unit_amount") or 0
        session.add(
            InvoiceLineItem(
                invoice_id=ours.id,
                kind="usage" if usage else "subscription",
                description=(line.get("description") or ("Runs" if usage else "Monthly price"))[:200],
                quantity=quantity,
                unit_amount_cents=int(Decimal(str(unit))),
                amount_cents=int(line.get("amount") or 0),
            )
        )
    return ours


def _apply_invoice(got: dict[str, Any], session: Session) -> None:
    stripe_sub = got.get("subscription")
    row = find_billing_subscription(stripe_sub, session) if stripe_sub is not None else None
    if row is None:
        return
    apply_subscription(row, stripe_sub, session)
    invoice = got["invoice"]
    ours = session.exec(select(Invoice).where(Invoice.stripe_invoice_id == invoice["id"])).first()
    if ours is None:
        ours = _new_invoice(row, got, session)
    ours.status = str(invoice.get("status") or ours.status)
    if ours.status == "paid":
        ours.paid_at = ours.paid_at or from_epoch((invoice.get("status_transitions") or {}).get("paid_at"))
        earned = session.exec(select(PublisherEarning).where(PublisherEarning.invoice_id == ours.id)).first()
        if earned is None:
            fee = platform_fee_cents(ours.total_cents, row.platform_fee_bps)
            session.add(
                PublisherEarning(
                    invoice_id=ours.id,
                    workspace_id=row.workspace_id,
                    listing_id=row.listing_id,
                    billing_subscription_id=row.id,
                    currency=ours.currency,
                    gross_cents=ours.total_cents,
                    platform_fee_cents=fee,
                    net_cents=ours.total_cents - fee,
                )
            )
    session.add(ours)


def apply(event_type: str, got: dict[str, Any], session: Session) -> None:
    """Write what :func:`fetch` retrieved into the ledger (the caller's transaction)."""
    if event_type == "checkout.session.completed":
        _apply_checkout(got, session)
    elif event_type in SUBSCRIPTION_EVENTS:
        row = find_billing_subscription(got["subscription"], session)
        if row is not None:
            apply_subscription(row, got["subscription"], session)
    elif event_type in INVOICE_EVENTS:
        _apply_invoice(got, session)
    elif event_type == "account.updated":
        account = session.exec(
            select(PublisherAccount).where(PublisherAccount.stripe_account_id == got["account"]["id"])
        ).first()
        if account is not None:
            apply_account(account, got["account"])
            session.add(account)
