"""Billing test helpers: a paid listing, a subscriber who checked out in test mode, and
billable usage records of their runs written the way the gateway writes them (usage record +
outbox row in one transaction, ``backend.gateway.usage.insert_usage``)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlmodel import select

from backend.accounts.actor import Actor
from backend.db import session_scope
from backend.gateway.usage import insert_usage
from backend.models import Listing, Subscription, UsageRecord
from backend.models.billing import BillingPeriod, BillingSubscription, RunCharge
from backend.models.common import new_id, utcnow
from billing.checkout import confirm_test_checkout
from marketplace.subscriptions import subscribe
from tests.support.marketplace import listing, publisher_connection


@dataclass(frozen=True)
class Paid:
    """A subscriber of a paid listing: ids of everything a usage record points at."""

    owner: Actor
    fan: Actor
    listing_id: str
    agent_id: str
    subscription_id: str
    grant_id: str
    bsub_id: str


def paid_subscriber(
    owner: Actor, fan: Actor, *, confirm_at: datetime | None = None, confirm: bool = True, **plan: Any
) -> Paid:
    """``owner`` publishes a paid listing (default $5/month, 2 runs included, $0.01 per run
    beyond); ``fan`` subscribes and, unless ``confirm=False``, confirms the test-mode checkout
    at ``confirm_at`` (default now)."""
    fields = {"plan_kind": "monthly", "monthly_price_cents": 500, "included_runs": 2, "price_per_run_cents": 1}
    pub = listing(owner, publisher_connection(owner), **{**fields, **plan})
    with session_scope() as s:
        view = subscribe(actor=fan, listing_id=pub.id, session=s)
        assert view.checkout_url is not None
        bsub_id = view.checkout_url.rsplit("/", 1)[-1]
        if confirm:
            confirm_test_checkout(user_id=fan.user_id, billing_subscription_id=bsub_id, session=s, now=confirm_at)
        sub = s.exec(select(Subscription).where(Subscription.id == view.id)).one()
        row = s.get(Listing, pub.id)
        assert row is not None and sub.grant_id
        return Paid(owner, fan, pub.id, row.agent_id, sub.id, sub.grant_id, bsub_id)


def usage(
    paid: Paid,
    *,
    run_id: str | None = None,
    cost: int = 1_000,
    tokens: int = 10,
    at: datetime | None = None,
    **over: Any,
) -> tuple[str, str]:
    """Write one usage record of ``paid.fan``'s run (and its outbox row when billable) like the
    gateway does; returns ``(usage record id, run id)``."""
    run_id = run_id or new_id()
    values = {
        c.name: c.default.arg if c.default is not None and not callable(c.default.arg) else None
        for c in UsageRecord.__table__.columns
    }  # type: ignore[attr-defined]
    values.update(
        id=new_id(), workspace_id=paid.owner.workspace_id, agent_id=paid.agent_id, end_user_id=paid.fan.user_id,
        caller_kind="grant", caller_id=paid.grant_id, run_id=run_id, connection_id=None, provider="openai_compatible",
        model="test-model", prompt_tokens=tokens, completion_tokens=tokens, cached_tokens=0, cost_nano_usd=cost,
        cost_note="", latency_ms=5, ttft_ms=None, status="ok", error_class="", error="", fallback_path=[],
        streamed=True, created_at=at or utcnow(),
    )  # fmt: skip
    values.update(over)
    with session_scope() as s:
        insert_usage(s, values)
    return values["id"], run_id


def ledger(paid: Paid) -> tuple[BillingSubscription, list[BillingPeriod], list[RunCharge]]:
    """The billing subscription, its periods (oldest first) and run charges (oldest first)."""
    with session_scope() as s:
        bsub = s.get(BillingSubscription, paid.bsub_id)
        assert bsub is not None
        periods = list(
            s.exec(
                select(BillingPeriod)
                .where(BillingPeriod.billing_subscription_id == bsub.id)
                .order_by(BillingPeriod.period_start)
            )  # type: ignore[arg-type]
        )
        charges = list(
            s.exec(
                select(RunCharge).where(RunCharge.billing_subscription_id == bsub.id).order_by(RunCharge.occurred_at)
            )  # type: ignore[arg-type]
        )
        s.expunge_all()
    return bsub, periods, charges
