"""Billing's seam: may this user subscribe to (and run) this listing's plan?

Free listings are always allowed. For a paid plan (``monthly``, ``per_run``) the marketplace
calls :func:`entitlement_check` on subscribe and before every run of a subscriber
(:func:`marketplace.subscriptions.subscriber_principal`); it asks ``billing.entitlements``
(active subscription, grace period of ``past_due``, access until the end of a canceled period,
or free trial runs left). Subscribing to a paid plan itself goes to checkout
(``billing.checkout.start_checkout``), so the check refuses nothing before a subscription exists.
"""

from __future__ import annotations

from sqlmodel import Session, select

from backend.models import Listing, Subscription
from billing.entitlements import require_entitlement
from billing.errors import NotEntitled
from marketplace.errors import EntitlementRefused


def entitlement_check(*, user_id: str, listing: Listing, session: Session) -> None:
    """Allow ``user_id`` to subscribe to / run ``listing``, or raise.

    Args:
        user_id: The subscriber (a signed-in user).
        listing: The listing row (its plan fields: ``plan_kind``, prices in cents, trial runs).
        session: The caller's transaction (billing reads its ledger in it).

    Raises:
        EntitlementRefused: an active subscriber of a paid plan may not run it now
            (checkout not finished and no trial runs left, unpaid beyond the grace period,
            ended); ``str(exc)`` says why, ``exc.fix_url``/``exc.fix_label`` link to the fix.
    """
    if listing.plan_kind == "free":
        return
    sub = session.exec(
        select(Subscription).where(Subscription.listing_id == listing.id, Subscription.user_id == user_id)
    ).first()
    if sub is None or sub.status != "active":
        return  # subscribing: the subscribe flow opens a checkout
    try:
        require_entitlement(user_id=user_id, listing=listing, subscription_id=sub.id, session=session)
    except NotEntitled as exc:
        raise EntitlementRefused(str(exc), fix_url=exc.fix_url, fix_label=exc.fix_label) from exc
