"""Reviews (subscribers with a finished run, one each, editable, one publisher reply) and the
report queue (anyone signed in reports; only platform admins read and resolve)."""

from __future__ import annotations

from collections.abc import Callable

import pytest

from backend.accounts.actor import Actor, NotFound, PermissionDenied
from backend.db import session_scope
from backend.models import Listing, Run, User
from marketplace.catalog import listing_detail
from marketplace.errors import MarketplaceError, ReviewNotAllowed
from marketplace.moderation import report_listing, report_queue, report_review, resolve_report
from marketplace.reviews import reply_to_review, save_review
from marketplace.schemas import PublisherListing
from marketplace.subscriptions import subscribe
from tests.support.marketplace import listing, publisher_connection


def _finished_run(user: Actor, pub: PublisherListing, status: str = "succeeded") -> None:
    """A run of the listing's agent by ``user``, as the run path leaves it when it ends."""
    with session_scope() as s:
        row = s.get_one(Listing, pub.id)
        s.add(
            Run(
                workspace_id=row.workspace_id,
                agent_id=row.agent_id,
                user_id=user.user_id,
                blueprint_version_id=row.version_id,
                status=status,
                latency_ms=1200,
            )
        )


def _review(user: Actor, pub: PublisherListing, stars: int, text: str = "") -> None:
    with session_scope() as s:
        save_review(actor=user, listing_id=pub.id, stars=stars, text=text, session=s)


def test_only_subscribers_with_a_finished_run_review_once_and_may_edit(make_actor: Callable[[], Actor]) -> None:
    owner, fan, lurker = make_actor(), make_actor(), make_actor()
    pub = listing(owner, publisher_connection(owner))
    with pytest.raises(ReviewNotAllowed, match="run this agent"):
        _review(lurker, pub, 5)  # not a subscriber
    with session_scope() as s:
        subscribe(actor=fan, listing_id=pub.id, session=s)
    with pytest.raises(ReviewNotAllowed):
        _review(fan, pub, 5)  # subscribed, no run yet
    _finished_run(fan, pub, status="failed")
    with pytest.raises(ReviewNotAllowed):
        _review(fan, pub, 5)  # a failed run is not a finished one
    _finished_run(fan, pub)
    with pytest.raises(ReviewNotAllowed, match="1 to 5"):
        _review(fan, pub, 6)
    _review(fan, pub, 2, "Meh")
    _review(fan, pub, 4, "Better after the update")  # an edit, not a second review
    with session_scope() as s:
        detail = listing_detail(slug=pub.slug, viewer=fan, session=s)
    assert [(r.stars, r.text, r.mine) for r in detail.reviews] == [(4, "Better after the update", True)]
    assert (detail.card.rating.average, detail.card.rating.count) == (4.0, 1)
    assert detail.card.rating.histogram == (0, 0, 0, 1, 0) and detail.viewer_can_review


def test_the_publisher_replies_once(make_actor: Callable[[], Actor]) -> None:
    owner, fan, stranger = make_actor(), make_actor(), make_actor()
    pub = listing(owner, publisher_connection(owner))
    with session_scope() as s:
        subscribe(actor=fan, listing_id=pub.id, session=s)
    _finished_run(fan, pub)
    _review(fan, pub, 3, "Slow")
    with session_scope() as s:
        review_id = listing_detail(slug=pub.slug, viewer=None, session=s).reviews[0].id
        with pytest.raises(NotFound):
            reply_to_review(actor=stranger, review_id=review_id, reply="Hi", session=s)
        assert (
            reply_to_review(actor=owner, review_id=review_id, reply="Fixed in v2!", session=s).reply == "Fixed in v2!"
        )
    with pytest.raises(ReviewNotAllowed, match="already replied"), session_scope() as s:
        reply_to_review(actor=owner, review_id=review_id, reply="Again", session=s)


def test_reports_reach_the_admin_queue_only(make_actor: Callable[[], Actor]) -> None:
    owner, fan, reporter = make_actor(), make_actor(), make_actor()
    admin = make_actor()
    with session_scope() as s:
        s.get_one(User, admin.user_id).is_platform_admin = True
    pub = listing(owner, publisher_connection(owner), title="Reported agent")
    with session_scope() as s:
        subscribe(actor=fan, listing_id=pub.id, session=s)
    _finished_run(fan, pub)
    _review(fan, pub, 1, "Buy my course at spam.example")
    with session_scope() as s:
        review_id = listing_detail(slug=pub.slug, viewer=None, session=s).reviews[0].id
        with pytest.raises(MarketplaceError, match="Say what is wrong"):
            report_listing(actor=reporter, listing_id=pub.id, reason=" ", session=s)
        first = report_listing(actor=reporter, listing_id=pub.id, reason="Claims to give legal advice", session=s)
        second = report_review(actor=reporter, review_id=review_id, reason="Spam link", session=s)
        with pytest.raises(PermissionDenied):
            report_queue(actor=reporter, session=s)
    with session_scope() as s:
        queue = [r for r in report_queue(actor=admin, session=s) if r.id in (first, second)]
        assert [(r.listing_title, r.review_text, r.reason) for r in queue] == [
            ("Reported agent", "", "Claims to give legal advice"),
            ("Reported agent", "Buy my course at spam.example", "Spam link"),
        ]
        resolve_report(actor=admin, report_id=first, resolution="Asked the publisher to fix the wording", session=s)
    with session_scope() as s:
        assert first not in [r.id for r in report_queue(actor=admin, session=s)]
        resolved = next(r for r in report_queue(actor=admin, status="resolved", session=s) if r.id == first)
        assert resolved.resolution == "Asked the publisher to fix the wording"
