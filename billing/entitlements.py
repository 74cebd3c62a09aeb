"""May a subscriber run a paid agent now? (the marketplace's seam
``marketplace.entitlements.entitlement_check`` calls :func:`require_entitlement` before every run).

Rules (``billing.settings`` for the grace period):

* ``active`` / ``trialing``: allowed until ``current_period_end``; with ``cancel_at_period_end``
  access ends then.
* ``past_due`` (a renewal payment failed): allowed for ``AGENTHUB_BILLING_GRACE_DAYS`` after
  ``past_due_since``, refused after.
* ``canceled``: allowed until the end of the period already paid for, refused after.
* ``incomplete`` (checkout not finished) or no billing subscription: only the listing's
  ``free_trial_runs``, counted as the subscriber's runs of the agent that used tokens or money
  (distinct ``run_id`` of billable usage records, the one truth).

Runs beyond the included quota are allowed and metered (``billing.outbox``).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import distinct, func, or_, select
from sqlmodel import Session, col

from backend.models import Listing, UsageRecord
from backend.models.billing import BillingSubscription
from backend.models.common import utcnow
from billing.errors import NotEntitled
from billing.ledger import billing_subscription_for
from billing.settings import get_billing_settings


@dataclass(frozen=True)
class Access:
    """Whether a billing subscription gives access at a moment: ``allowed``; ``until`` when the
    access ends if nothing changes (period end, end of grace), None when it has none."""

    allowed: bool
    until: datetime | None


def access_of(bsub: BillingSubscription, now: datetime | None = None) -> Access:
    """The access ``bsub`` gives at ``now`` (see the module rules; no trial runs counted here)."""
    now = now or utcnow()
    end = bsub.current_period_end
    if bsub.status in ("active", "trialing"):
        if bsub.cancel_at_period_end and end is not None:
            return Access(now < end, end)
        grace_end = end + timedelta(days=get_billing_settings().grace_days) if end is not None else None
        return Access(end is None or now < grace_end, end)  # type: ignore[operator]  # renewal due: tick catches up
    if bsub.status == "past_due":
        since = bsub.past_due_since or end or now
        until = since + timedelta(days=get_billing_settings().grace_days)
        return Access(now < until, until)
    if bsub.status == "canceled" and end is not None:
        return Access(now < end, end)
    return Access(False, None)


def trial_runs_used(*, user_id: str, listing: Listing, session: Session) -> int:
    """The subscriber's runs of the listing's agent that used tokens or money (trial runs)."""
    used = session.execute(
        select(func.count(distinct(col(UsageRecord.run_id)))).where(
            col(UsageRecord.agent_id) == listing.agent_id,
            col(UsageRecord.end_user_id) == user_id,
            col(UsageRecord.workspace_id) == listing.workspace_id,
            col(UsageRecord.caller_kind) == "grant",
            col(UsageRecord.run_id).is_not(None),
            or_(
                col(UsageRecord.cost_nano_usd) > 0,
                col(UsageRecord.prompt_tokens) + col(UsageRecord.completion_tokens) > 0,
            ),
        )
    ).scalar_one()
    return int(used)


def trial_runs_left(*, user_id: str, listing: Listing, session: Session) -> int:
    """``listing.free_trial_runs`` minus the runs already used (never below 0)."""
    if listing.free_trial_runs <= 0:
        return 0
    return max(0, listing.free_trial_runs - trial_runs_used(user_id=user_id, listing=listing, session=session))


def _day(moment: datetime | None) -> str:
    return moment.strftime("%d %b %Y") if moment else "today"


def require_entitlement(
    *, user_id: str, listing: Listing, subscription_id: str, session: Session, now: datetime | None = None
) -> None:
    """Allow one run of a paid listing by the holder of marketplace subscription
    ``subscription_id``, or raise.

    Raises:
        NotEntitled: why not, with the page that fixes it (checkout, Billing page, listing page).
    """
    if listing.plan_kind == "free":
        return
    bsub = billing_subscription_for(subscription_id, session)
    access = access_of(bsub, now) if bsub is not None else Access(False, None)
    if access.allowed:
        return
    if (bsub is None or bsub.status == "incomplete") and trial_runs_left(
        user_id=user_id, listing=listing, session=session
    ):
        return
    listing_page = f"/marketplace/{listing.slug}"
    if bsub is None:
        raise NotEntitled(
            f"{listing.title} now has a paid plan. Subscribe to keep using it.",
            fix_url=listing_page,
            fix_label="Subscribe",
        )
    if bsub.status == "incomplete":
        used = "Your free trial runs are used up. " if listing.free_trial_runs else ""
        raise NotEntitled(
            f"{used}Finish checkout to start using {listing.title}.",
            fix_url=f"/billing/checkout/{bsub.id}",
            fix_label="Finish checkout",
        )
    if bsub.status == "past_due":
        raise NotEntitled(
            f"The payment for {listing.title} failed and the grace period ended on {_day(access.until)}. "
            "Update your payment method on the Billing page.",
            fix_url="/billing",
            fix_label="Open Billing",
        )
    raise NotEntitled(
        f"Your subscription to {listing.title} ended on {_day(bsub.current_period_end)}. "
        "Subscribe again to keep using it.",
        fix_url=listing_page,
        fix_label="Subscribe again",
    )
