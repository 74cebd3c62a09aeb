"""Subscribing: a user of any workspace gets an agent grant on a listing's agent and runs its
pinned version with conversations and memory of their own.

The edge (the chat page for a subscriber) calls :func:`subscriber_principal` before **every**
run (it checks the subscription, the listing's status and billing's entitlement), opens
conversations with :func:`start_conversation` (pinned to the listing's published version) and
reads history with :func:`subscriber_conversations` / :func:`subscriber_messages`, which keep
working after unsubscribing. The publisher never reads a subscriber's conversations or memory.
"""

from __future__ import annotations

from dataclasses import replace

from sqlalchemy import update
from sqlalchemy.exc import IntegrityError
from sqlmodel import Session, col, select

from backend.accounts.actor import Actor, NotFound
from backend.accounts.principal import Caller, RunPrincipal, principal_for_grant
from backend.chat.principal import create_conversation_for, list_conversations_for, messages_for
from backend.models import AgentGrant, Budget, Listing, ListingVersion, Membership, RateLimitRule, Subscription
from backend.models.common import utcnow
from billing.checkout import Checkout, start_checkout
from billing.errors import BillingError
from billing.ledger import billing_subscription_for
from billing.manage import cancel_subscription
from billing.views import billing_note
from marketplace.entitlements import entitlement_check
from marketplace.errors import MarketplaceError
from marketplace.schemas import ChangelogEntry, ConversationView, MessageView, SubscriptionView
from marketplace.views import conversation_view, message_view


def _listing(listing_id: str, session: Session) -> Listing:
    listing = session.get(Listing, listing_id)
    if listing is None or listing.status in ("draft", "suspended"):
        raise NotFound("Listing not found.")
    return listing


def _subscription(actor: Actor, listing_id: str, session: Session) -> Subscription | None:
    return session.exec(
        select(Subscription).where(Subscription.listing_id == listing_id, Subscription.user_id == actor.user_id)
    ).first()


def _count(listing_id: str, delta: int, session: Session) -> None:
    session.exec(  # type: ignore[call-overload]
        update(Listing)
        .where(col(Listing.id) == listing_id)
        .values(subscriber_count=col(Listing.subscriber_count) + delta)
    )


def _apply_defaults(listing: Listing, user_id: str, session: Session) -> None:
    """The listing's per-subscriber rate limit and monthly budget, as end-user rules of the owner
    workspace (kept if the publisher already set one for this user)."""
    ws = listing.workspace_id
    if listing.subscriber_requests_per_min is not None:
        exists = session.exec(
            select(RateLimitRule.id).where(
                RateLimitRule.workspace_id == ws, RateLimitRule.scope == "end_user", RateLimitRule.scope_id == user_id
            )
        ).first()
        if exists is None:
            session.add(
                RateLimitRule(
                    workspace_id=ws,
                    scope="end_user",
                    scope_id=user_id,
                    requests_per_min=listing.subscriber_requests_per_min,
                )
            )
    if listing.subscriber_monthly_budget_nano is not None:
        exists = session.exec(
            select(Budget.id).where(
                Budget.workspace_id == ws,
                Budget.scope == "end_user",
                Budget.scope_id == user_id,
                Budget.period == "month",
            )
        ).first()
        if exists is None:
            limit = listing.subscriber_monthly_budget_nano
            session.add(Budget(workspace_id=ws, scope="end_user", scope_id=user_id, period="month", limit_nano=limit))


def _view(sub: Subscription, listing: Listing, session: Session, checkout: Checkout | None = None) -> SubscriptionView:
    running = session.exec(
        select(ListingVersion.version_number).where(
            ListingVersion.listing_id == listing.id, ListingVersion.blueprint_version_id == sub.blueprint_version_id
        )
    ).first()
    running_number = running if running is not None else listing.version_number
    newer = session.exec(
        select(ListingVersion)
        .where(ListingVersion.listing_id == listing.id, ListingVersion.version_number > running_number)
        .order_by(col(ListingVersion.version_number).desc())
    ).all()
    return SubscriptionView(
        id=sub.id,
        listing_id=listing.id,
        listing_slug=listing.slug,
        listing_title=listing.title,
        icon=listing.icon,
        agent_id=listing.agent_id,
        status=sub.status,
        current_version_number=listing.version_number,
        running_version_number=running_number,
        newer_changes=tuple(ChangelogEntry(v.version_number, v.changelog, v.published_at) for v in newer),
        can_run=sub.status == "active" and listing.status != "suspended",
        **_billing(sub, session),
        checkout_url=checkout.url if checkout else None,
    )


def _billing(sub: Subscription, session: Session) -> dict[str, str]:
    bsub = billing_subscription_for(sub.id, session)
    if bsub is None:
        return {}
    return {"billing_status": bsub.status, "billing_note": billing_note(bsub)}


def subscribe(*, actor: Actor, listing_id: str, session: Session) -> SubscriptionView:
    """Subscribe the actor's user to a published listing: an agent grant on the listing's agent,
    the listing's per-subscriber limits applied. A paid plan also opens a checkout
    (``billing.checkout.start_checkout``): the view's ``checkout_url`` is where to pay; until
    then only the listing's free trial runs are allowed (``billing.entitlements``).
    Subscribing again while active returns the subscription (with a new checkout if the paid
    subscription ended); after canceling it re-activates.

    Raises:
        NotFound: no such listing, or it is a draft or suspended.
        MarketplaceError: the listing is unlisted (no new subscribers), or it is the actor's own
            workspace's agent.
    """
    listing = _listing(listing_id, session)
    sub = _subscription(actor, listing.id, session)
    paid = listing.plan_kind != "free"
    if sub is not None and sub.status == "active":
        return _view(
            sub, listing, session, start_checkout(subscription=sub, listing=listing, session=session) if paid else None
        )
    if listing.status != "published":
        raise MarketplaceError("This listing no longer takes new subscribers.")
    own = session.exec(
        select(Membership).where(Membership.workspace_id == listing.workspace_id, Membership.user_id == actor.user_id)
    ).first()
    if own is not None:
        raise MarketplaceError("This agent belongs to your workspace; run it from your agents.")
    entitlement_check(user_id=actor.user_id, listing=listing, session=session)
    try:
        with session.begin_nested():  # two clicks at once: the second finds the first's row
            grant = AgentGrant(
                agent_id=listing.agent_id, owner_workspace_id=listing.workspace_id, grantee_user_id=actor.user_id
            )
            session.add(grant)
            session.flush()
            if sub is None:
                sub = Subscription(
                    listing_id=listing.id, user_id=actor.user_id, blueprint_version_id=listing.version_id
                )
            sub.grant_id, sub.status, sub.canceled_at = grant.id, "active", None
            session.add(sub)
            session.flush()
    except IntegrityError:
        existing = _subscription(actor, listing.id, session)
        if existing is None:
            raise
        return _view(existing, listing, session)
    _apply_defaults(listing, actor.user_id, session)
    _count(listing.id, 1, session)
    session.flush()
    checkout = start_checkout(subscription=sub, listing=listing, session=session) if paid else None
    return _view(sub, listing, session, checkout)


def unsubscribe(*, actor: Actor, listing_id: str, session: Session) -> SubscriptionView:
    """Cancel the actor's subscription: the grant is revoked (new runs stop at once), the
    conversations and memory stay readable to the subscriber. A paid subscription is canceled at
    the end of its period instead (``billing.manage.cancel_subscription``; an unfinished checkout
    at once).

    Raises:
        NotFound: the actor has no subscription to this listing.
    """
    listing = session.get(Listing, listing_id)
    sub = _subscription(actor, listing_id, session)
    if listing is None or sub is None:
        raise NotFound("Subscription not found.")
    bsub = billing_subscription_for(sub.id, session) if sub.status == "active" else None
    if bsub is not None and bsub.status != "canceled":  # paid: at the end of the period (billing)
        try:
            cancel_subscription(user_id=actor.user_id, billing_subscription_id=bsub.id, session=session)
        except BillingError as exc:
            raise MarketplaceError(str(exc)) from exc
        session.refresh(sub)
        return _view(sub, listing, session)
    if sub.status == "active":
        grant = session.get(AgentGrant, sub.grant_id) if sub.grant_id else None
        if grant is not None and grant.revoked_at is None:
            grant.revoked_at = utcnow()
            session.add(grant)
        sub.status, sub.canceled_at = "canceled", utcnow()
        session.add(sub)
        _count(listing.id, -1, session)
        session.flush()
    return _view(sub, listing, session)


def my_subscriptions(*, actor: Actor, session: Session) -> list[SubscriptionView]:
    """ "My agents": the actor's subscriptions, active first, newest first (suspended listings
    included with ``can_run`` False; drafts never appear)."""
    rows = session.exec(
        select(Subscription, Listing)
        .join(Listing, col(Listing.id) == col(Subscription.listing_id))
        .where(Subscription.user_id == actor.user_id)
        .order_by(col(Subscription.status), col(Subscription.created_at).desc())
    ).all()
    return [_view(sub, listing, session) for sub, listing in rows]


def subscription_for(*, actor: Actor, listing_id: str, session: Session) -> SubscriptionView | None:
    """The actor's subscription to the listing (active or canceled), or None."""
    listing = session.get(Listing, listing_id)
    sub = _subscription(actor, listing_id, session)
    return None if listing is None or sub is None else _view(sub, listing, session)


def subscriber_principal(*, actor: Actor, listing_id: str, session: Session) -> RunPrincipal:
    """The run principal of an active subscriber (caller: their grant; owner: the publisher;
    the listing's paying connection, if set, pays the main model). Call it for every run: it
    refuses once the subscription ends or the listing is suspended.

    Raises:
        NotFound: no active subscription, the listing is suspended, or the grant is gone.
        EntitlementRefused: billing does not entitle the user now (paid plans; says why and
            links to the fix).
    """
    listing = session.get(Listing, listing_id)
    sub = _subscription(actor, listing_id, session)
    if listing is None or sub is None or sub.status != "active" or listing.status == "suspended":
        raise NotFound("You are not subscribed to this agent.")
    entitlement_check(user_id=actor.user_id, listing=listing, session=session)
    principal = principal_for_grant(actor.user_id, listing.agent_id, session)
    return replace(principal, connection_override=listing.connection_id)  # the listing's paying connection


def start_conversation(*, actor: Actor, listing_id: str, session: Session) -> ConversationView:
    """Open a subscriber's conversation pinned to the listing's published version; the
    subscription remembers it as the version they run.

    Raises:
        NotFound, EntitlementRefused: as :func:`subscriber_principal`.
    """
    principal = subscriber_principal(actor=actor, listing_id=listing_id, session=session)
    listing = session.get(Listing, listing_id)
    sub = _subscription(actor, listing_id, session)
    assert listing is not None and sub is not None  # noqa: S101  (checked by subscriber_principal)
    conv = create_conversation_for(principal=principal, session=session, blueprint_version_id=listing.version_id)
    sub.blueprint_version_id = listing.version_id
    session.add(sub)
    return conversation_view(conv)


def _history_principal(actor: Actor, listing_id: str, session: Session) -> RunPrincipal:
    """A read-only principal over the subscriber's own conversations (also after canceling)."""
    listing = session.get(Listing, listing_id)
    sub = _subscription(actor, listing_id, session)
    if listing is None or sub is None:
        raise NotFound("You are not subscribed to this agent.")
    return RunPrincipal(
        listing.workspace_id, listing.agent_id, Caller("grant", sub.grant_id or "", actor.user_id), actor.user_id
    )


def subscriber_conversations(*, actor: Actor, listing_id: str, session: Session) -> list[ConversationView]:
    """The subscriber's own conversations with the listing's agent, newest first (at most 100).

    Raises:
        NotFound: the actor never subscribed to this listing.
    """
    principal = _history_principal(actor, listing_id, session)
    return [conversation_view(c) for c in list_conversations_for(principal=principal, session=session)]


def subscriber_messages(*, actor: Actor, listing_id: str, conversation_id: str, session: Session) -> list[MessageView]:
    """Messages of one of the subscriber's own conversations with the listing's agent.

    Raises:
        NotFound: never subscribed, or not their conversation.
    """
    principal = _history_principal(actor, listing_id, session)
    rows = messages_for(principal=principal, conversation_id=conversation_id, session=session)
    return [message_view(m) for m in rows]
