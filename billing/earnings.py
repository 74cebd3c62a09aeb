"""The publisher's Earnings page: gross revenue, platform fee, net, the LLM cost their
connections paid for subscribers' runs, and the margin, per listing, per month and per
subscriber; payouts and the payout account's status.

Revenue comes from :class:`PublisherEarning` rows (paid invoices, cents; a month is the one its
invoice's period began in); runs from
:class:`RunCharge` rows; LLM cost from the usage records of subscribers' runs of the listings'
agents (``caller_kind`` ``grant``, nano-USD, trial runs included). Margin = net − LLM cost, in
nano-USD (1 cent = 10^7 nano-USD). Aggregates only: never a subscriber's conversations; a
subscriber is shown by a masked email address.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from typing import Any

from sqlalchemy import String, cast, func, select
from sqlmodel import Session, col

from backend.accounts import permissions
from backend.accounts.actor import Actor
from backend.models import Listing, UsageRecord, User
from backend.models.billing import BillingSubscription, Invoice, Payout, PublisherAccount, PublisherEarning, RunCharge
from billing.money import NANO_PER_CENT, format_cents, format_nano_usd
from billing.settings import get_billing_settings

Key = tuple[str, str, str]  # listing id, subscriber user id, month "YYYY-MM"


@dataclass(frozen=True)
class EarningsRow:
    """One line of figures: ``label`` (listing title, month or masked subscriber), paid runs,
    gross / fee / net (cents), LLM cost and margin (nano-USD), each also formatted."""

    label: str
    runs: int
    gross_cents: int
    fee_cents: int
    net_cents: int
    llm_cost_nano_usd: int
    margin_nano_usd: int
    gross: str
    fee: str
    net: str
    llm_cost: str
    margin: str


@dataclass(frozen=True)
class PayoutRow:
    """A payout: amount (formatted), status and date."""

    amount: str
    status: str
    date: str


@dataclass(frozen=True)
class EarningsReport:
    """The whole page; ``account_status`` of the payout account (``none``, ``pending``, ``active``,
    ``restricted``); ``stripe_mode`` False means payouts are simulated (test mode)."""

    total: EarningsRow
    by_listing: tuple[EarningsRow, ...]
    by_month: tuple[EarningsRow, ...]
    by_subscriber: tuple[EarningsRow, ...]
    payouts: tuple[PayoutRow, ...]
    account_status: str
    stripe_mode: bool


def _month(column: Any, session: Session) -> Any:
    if session.get_bind().dialect.name == "postgresql":
        return func.to_char(func.timezone("UTC", column), "YYYY-MM")
    return func.substr(cast(column, String), 1, 7)


def mask_email(email: str) -> str:
    """``"alice@example.com" -> "a•••@example.com"`` (the publisher sees who, not the address)."""
    name, _, domain = email.partition("@")
    return f"{name[:1]}•••@{domain}" if domain else "•••"


def _row(label: str, v: list[int]) -> EarningsRow:
    runs, gross, fee, net, llm = v
    margin = net * NANO_PER_CENT - llm
    return EarningsRow(
        label, runs, gross, fee, net, llm, margin,
        format_cents(gross), format_cents(fee), format_cents(net), format_nano_usd(llm), format_nano_usd(margin),
    )  # fmt: skip


def _figures(ws: str, listings: dict[str, Listing], session: Session) -> dict[Key, list[int]]:
    """(listing, subscriber, month) -> [runs, gross, fee, net, LLM nano-USD]."""
    out: dict[Key, list[int]] = defaultdict(lambda: [0, 0, 0, 0, 0])
    month = _month(col(Invoice.period_start), session)  # revenue in the month its period began
    paid = session.execute(
        select(col(PublisherEarning.listing_id), col(Invoice.user_id), month,
               func.sum(col(PublisherEarning.gross_cents)), func.sum(col(PublisherEarning.platform_fee_cents)),
               func.sum(col(PublisherEarning.net_cents)))
        .select_from(PublisherEarning)
        .join(Invoice, col(Invoice.id) == col(PublisherEarning.invoice_id))
        .where(col(PublisherEarning.workspace_id) == ws)
        .group_by(PublisherEarning.listing_id, Invoice.user_id, month)
    )  # fmt: skip
    for listing_id, user_id, m, gross, fee, net in paid:
        row = out[(listing_id, user_id, m)]
        row[1], row[2], row[3] = int(gross or 0), int(fee or 0), int(net or 0)
    month = _month(col(RunCharge.occurred_at), session)
    runs = session.execute(
        select(col(BillingSubscription.listing_id), col(BillingSubscription.user_id), month, func.count())
        .select_from(RunCharge)
        .join(BillingSubscription, col(BillingSubscription.id) == col(RunCharge.billing_subscription_id))
        .where(col(BillingSubscription.workspace_id) == ws)
        .group_by(BillingSubscription.listing_id, BillingSubscription.user_id, month)
    )
    for listing_id, user_id, m, count in runs:
        out[(listing_id, user_id, m)][0] = int(count)
    by_agent = {x.agent_id: x.id for x in listings.values()}
    month = _month(col(UsageRecord.created_at), session)
    cost = session.execute(
        select(col(UsageRecord.agent_id), col(UsageRecord.end_user_id), month, func.sum(col(UsageRecord.cost_nano_usd)))
        .where(
            col(UsageRecord.workspace_id) == ws,
            col(UsageRecord.caller_kind) == "grant",
            col(UsageRecord.agent_id).in_(by_agent),
        )
        .group_by(col(UsageRecord.agent_id), col(UsageRecord.end_user_id), month)
    )
    for agent_id, user_id, m, nano in cost:
        out[(by_agent[agent_id], user_id or "", m)][4] = int(nano or 0)
    return out


def _group(figures: dict[Key, list[int]], index: int, label: Any) -> tuple[EarningsRow, ...]:
    sums: dict[str, list[int]] = defaultdict(lambda: [0, 0, 0, 0, 0])
    for key, values in figures.items():
        sums[key[index]] = [a + b for a, b in zip(sums[key[index]], values, strict=True)]
    return tuple(_row(label(k), v) for k, v in sums.items())


def publisher_earnings(*, actor: Actor, session: Session) -> EarningsReport:
    """The actor's workspace's earnings (owners and admins: ``billing.view``; aggregates only).

    Raises:
        PermissionDenied: not a member of the workspace, or a builder/viewer.
    """
    permissions.require(actor, permissions.BILLING_VIEW, session)
    ws = actor.workspace_id
    listings = {x.id: x for x in session.scalars(select(Listing).where(col(Listing.workspace_id) == ws))}
    figures = _figures(ws, listings, session)
    users = {k[1] for k in figures}
    emails = {u: e for u, e in session.execute(select(col(User.id), col(User.email)).where(col(User.id).in_(users)))}
    total = [sum(v[i] for v in figures.values()) for i in range(5)]
    by_listing = sorted(
        _group(figures, 0, lambda k: listings[k].title if k in listings else k), key=lambda r: -r.gross_cents
    )
    by_month = sorted(_group(figures, 2, str), key=lambda r: r.label, reverse=True)
    by_subscriber = sorted(_group(figures, 1, lambda k: mask_email(emails.get(k, ""))), key=lambda r: -r.gross_cents)
    payouts = session.scalars(
        select(Payout).where(col(Payout.workspace_id) == ws).order_by(col(Payout.created_at).desc()).limit(24)
    )
    account = session.scalars(select(PublisherAccount).where(col(PublisherAccount.workspace_id) == ws)).first()
    return EarningsReport(
        total=_row("Total", total),
        by_listing=tuple(by_listing),
        by_month=tuple(by_month),
        by_subscriber=tuple(by_subscriber),
        payouts=tuple(
            PayoutRow(
                format_cents(p.amount_cents, p.currency), p.status, (p.paid_at or p.created_at).strftime("%d %b %Y")
            )
            for p in payouts
        ),
        account_status=account.status if account else "none",
        stripe_mode=get_billing_settings().stripe_mode,
    )
