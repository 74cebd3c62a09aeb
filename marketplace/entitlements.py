"""Billing's seam: may this user subscribe to (and run) this listing's plan?

Free listings are always allowed. Paid plans (``monthly``, ``per_run``) belong to the billing
issue: until it lands, :func:`entitlement_check` refuses them with :class:`PaidPlansUnavailable`.
Billing replaces this function's body (calling ``billing.entitlements``; marketplace may import
billing) and keeps its signature; the marketplace calls it on subscribe and before every run of
a subscriber (:func:`marketplace.subscriptions.subscriber_principal`).
"""

from __future__ import annotations

from sqlmodel import Session

from backend.models import Listing
from marketplace.errors import PaidPlansUnavailable


def entitlement_check(*, user_id: str, listing: Listing, session: Session) -> None:
    """Allow ``user_id`` to subscribe to / run ``listing``, or raise.

    Args:
        user_id: The subscriber (a signed-in user).
        listing: The listing row (its plan fields: ``plan_kind``, prices in cents, trial runs).
        session: The caller's transaction (billing may read its ledger in it).

    Raises:
        PaidPlansUnavailable: the listing has a paid plan (until billing is available).
    """
    del user_id, session  # billing will need them
    if listing.plan_kind != "free":
        raise PaidPlansUnavailable()
