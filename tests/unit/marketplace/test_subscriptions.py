"""Subscribing: free at once with the listing's per-subscriber limits, paid plans through a
checkout, no subscribing to an unlisted or own listing, "My agents" and the try limits."""

from __future__ import annotations

from collections.abc import Callable

import pytest
from sqlmodel import select

from backend.accounts.actor import Actor, NotFound
from backend.db import session_scope
from backend.models import AgentGrant, Budget, RateLimitRule
from marketplace.errors import MarketplaceError, TryLimitReached
from marketplace.listings import unlist_listing
from marketplace.subscriptions import my_subscriptions, subscribe, subscriber_principal
from marketplace.trial import TryLimiter, Visitor
from tests.support.marketplace import listing, publisher_connection


def test_a_free_listing_subscribes_at_once_with_its_limits(make_actor: Callable[[], Actor]) -> None:
    owner, fan = make_actor(), make_actor()
    pub = listing(
        owner,
        publisher_connection(owner),
        title="Limited helper",
        subscriber_requests_per_min=7,
        subscriber_monthly_budget_nano=2_500_000_000,
    )
    with session_scope() as s:
        view = subscribe(actor=fan, listing_id=pub.id, session=s)
        again = subscribe(actor=fan, listing_id=pub.id, session=s)  # idempotent
        principal = subscriber_principal(actor=fan, listing_id=pub.id, session=s)
    assert view.id == again.id and (view.status, view.listing_title, view.running_version_number) == (
        "active",
        "Limited helper",
        1,
    )
    assert (principal.owner_workspace_id, principal.end_user_id, principal.caller.kind) == (
        owner.workspace_id,
        fan.user_id,
        "grant",
    )
    with session_scope() as s:
        grants = s.exec(select(AgentGrant).where(AgentGrant.grantee_user_id == fan.user_id)).all()
        rule = s.exec(select(RateLimitRule).where(RateLimitRule.scope_id == fan.user_id)).one()
        budget = s.exec(select(Budget).where(Budget.scope_id == fan.user_id)).one()
        assert [x.listing_title for x in my_subscriptions(actor=fan, session=s)] == ["Limited helper"]
    assert len(grants) == 1 and (rule.workspace_id, rule.scope, rule.requests_per_min) == (
        owner.workspace_id,
        "end_user",
        7,
    )
    assert (budget.period, budget.limit_nano) == ("month", 2_500_000_000)


def test_a_paid_listing_subscribes_through_a_checkout(make_actor: Callable[[], Actor]) -> None:
    owner, fan = make_actor(), make_actor()
    paid = listing(owner, publisher_connection(owner), plan_kind="monthly", monthly_price_cents=900, included_runs=100)
    with session_scope() as s:
        view = subscribe(actor=fan, listing_id=paid.id, session=s)
        again = subscribe(actor=fan, listing_id=paid.id, session=s)
    assert view.billing_status == "incomplete" and view.billing_note == "Checkout not finished"
    assert view.checkout_url is not None and view.checkout_url.startswith("/billing/checkout/")
    assert again.checkout_url == view.checkout_url  # the same pending checkout


def test_unlisted_own_and_draft_listings_are_refused(make_actor: Callable[[], Actor]) -> None:
    owner, fan = make_actor(), make_actor()
    conn = publisher_connection(owner)
    hidden = listing(owner, conn)
    draft = listing(owner, conn, publish=False)
    with session_scope() as s:
        unlist_listing(actor=owner, listing_id=hidden.id, session=s)
    with pytest.raises(MarketplaceError, match="no longer takes new subscribers"), session_scope() as s:
        subscribe(actor=fan, listing_id=hidden.id, session=s)
    with pytest.raises(NotFound), session_scope() as s:
        subscribe(actor=fan, listing_id=draft.id, session=s)
    with pytest.raises(MarketplaceError, match="belongs to your workspace"), session_scope() as s:
        subscribe(actor=owner, listing_id=listing(owner, conn).id, session=s)
    with session_scope() as s:
        assert my_subscriptions(actor=fan, session=s) == []
        assert s.exec(select(AgentGrant).where(AgentGrant.grantee_user_id == fan.user_id)).all() == []


def test_tries_are_limited_per_browser_and_per_ip() -> None:
    limiter = TryLimiter(per_visitor=2, per_ip=3, window="hour")
    a, b, c = (Visitor(f"browser-{n}" * 4, "198.51.100.9") for n in "abc")
    for _ in range(2):
        limiter.take("listing-1", a)
    assert limiter.remaining("listing-1", a) == 0
    with pytest.raises(TryLimitReached, match="used your free tries") as err:
        limiter.take("listing-1", a)
    assert 0 < err.value.retry_after_s <= 3600
    limiter.take("listing-2", a)  # another listing has its own tries
    limiter.take("listing-1", b)  # the IP's third try of listing-1
    with pytest.raises(TryLimitReached):
        limiter.take("listing-1", c)  # a fresh browser on the same IP
    signed_in = Visitor("", "198.51.100.10", user_id="user-1")
    limiter.take("listing-1", signed_in)
    assert limiter.remaining("listing-1", signed_in) == 1


def test_fresh_browsers_from_one_ip_cannot_mint_visitors_endlessly() -> None:
    limiter = TryLimiter(per_visitor=2, per_ip=2, window="hour")
    limiter.take_new_visitor("198.51.100.20")
    limiter.take_new_visitor("198.51.100.20")
    with pytest.raises(TryLimitReached):
        limiter.take_new_visitor("198.51.100.20")
    limiter.take_new_visitor("198.51.100.21")
