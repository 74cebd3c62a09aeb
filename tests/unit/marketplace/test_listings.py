"""Publishing: who may publish, form validation, the pinned version and its changelog, unlisting,
admin suspension, and what the public listing page shows (and does not)."""

from __future__ import annotations

from collections.abc import Callable

import pytest

from backend.accounts.actor import Actor, NotFound, PermissionDenied
from backend.agents.service import save_agent
from backend.blueprints import get_blueprint
from backend.db import session_scope
from backend.models import BlueprintFields, Listing, Membership, User
from marketplace.catalog import listing_detail
from marketplace.errors import ListingInvalid, MarketplaceError
from marketplace.listings import listing_input, publish_listing, publish_version, publisher_listings, save_listing
from marketplace.moderation import reinstate_listing, suspend_listing
from marketplace.schemas import ExamplePair, ListingInput
from marketplace.subscriptions import subscribe
from tests.support.marketplace import listing, publisher_connection

SECRET = "Secret recipe: answer in haiku, zebra-42."


def _member(owner: Actor, make_actor: Callable[[], Actor], role: str) -> Actor:
    other = make_actor()
    with session_scope() as s:
        s.add(Membership(workspace_id=owner.workspace_id, user_id=other.user_id, role=role))
    return Actor(other.user_id, owner.workspace_id)


def _new_version(actor: Actor, agent_id: str, instructions: str) -> None:
    with session_scope() as s:
        bp = get_blueprint(actor=actor, agent_id=agent_id, session=s)
        fields = BlueprintFields(**{name: getattr(bp, name) for name in BlueprintFields.model_fields})
        fields.instructions = instructions
        save_agent(actor=actor, agent_id=agent_id, fields=fields, session=s)


def _admin(make_actor: Callable[[], Actor]) -> Actor:
    admin = make_actor()
    with session_scope() as s:
        user = s.get(User, admin.user_id)
        assert user is not None
        user.is_platform_admin = True
        s.add(user)
    return admin


def test_only_owners_and_admins_publish(make_actor: Callable[[], Actor]) -> None:
    owner = make_actor()
    conn = publisher_connection(owner)
    draft = listing(owner, conn, publish=False)
    member = _member(owner, make_actor, "member")
    admin = _member(owner, make_actor, "admin")
    stranger = make_actor()
    with pytest.raises(PermissionDenied, match="owners and admins"), session_scope() as s:
        publish_listing(actor=member, listing_id=draft.id, session=s)
    with pytest.raises(NotFound), session_scope() as s:
        publish_listing(actor=Actor(stranger.user_id, stranger.workspace_id), listing_id=draft.id, session=s)
    with session_scope() as s:
        assert publish_listing(actor=admin, listing_id=draft.id, session=s).status == "published"
        assert [x.id for x in publisher_listings(actor=member, session=s)] == [draft.id]  # members may read


def test_the_form_reports_each_bad_field(actor: Actor) -> None:
    conn = publisher_connection(actor)
    agent_listing = listing(actor, conn, publish=False)
    bad = ListingInput(
        title="x",
        category="Nope",
        slug="Bad Slug!",
        tags=["a" * 30],
        examples=[ExamplePair(prompt=" ", answer="A")],
        plan_kind="monthly",
        monthly_price_cents=10,
        connection_id="not-ours",
        subscriber_requests_per_min=0,
    )
    with session_scope() as s:
        row = s.get(Listing, agent_listing.id)
        assert row is not None
        with pytest.raises(ListingInvalid) as err:
            save_listing(actor=actor, agent_id=row.agent_id, data=bad, session=s)
    assert set(err.value.errors) == {
        "title",
        "category",
        "slug",
        "tags",
        "examples[0].prompt",
        "monthly_price_cents",
        "connection_id",
        "subscriber_requests_per_min",
    }
    with session_scope() as s:  # nothing was lost: the stored listing is unchanged
        assert listing_input(actor=actor, listing_id=agent_listing.id, session=s).title == "Helper agent"


def test_slugs_are_unique_and_a_taken_one_is_refused(make_actor: Callable[[], Actor]) -> None:
    a, b = make_actor(), make_actor()
    first = listing(a, publisher_connection(a), title="Slug Twin Agent")
    second = listing(b, publisher_connection(b), title="Slug Twin Agent")
    assert second.slug != first.slug and second.slug.startswith(first.slug)
    with session_scope() as s:
        row = s.get(Listing, second.id)
        assert row is not None
        with pytest.raises(ListingInvalid, match="Another listing has this address"):
            save_listing(actor=b, agent_id=row.agent_id, data=ListingInput(title="X y z", slug=first.slug), session=s)


def test_editing_the_agent_changes_nothing_until_a_new_version_is_published(make_actor: Callable[[], Actor]) -> None:
    owner, subscriber = make_actor(), make_actor()
    pub = listing(owner, publisher_connection(owner), instructions="Version one rules.")
    _new_version(owner, pub.agent_id, "Version two rules.")
    with session_scope() as s:
        row = s.get(Listing, pub.id)
        assert row is not None and row.version_number == 1
        detail = listing_detail(slug=pub.slug, viewer=None, session=s)
        assert detail.version_number == 1 and [c.version_number for c in detail.changelog] == [1]
        view = publisher_listings(actor=owner, session=s)[0]
        assert (view.version_number, view.latest_agent_version) == (1, 2)
        subscribe(actor=subscriber, listing_id=pub.id, session=s)
    with pytest.raises(ListingInvalid) as err, session_scope() as s:
        publish_version(actor=owner, listing_id=pub.id, changelog="  ", session=s)
    assert "changelog" in err.value.errors
    with session_scope() as s:
        publish_version(actor=owner, listing_id=pub.id, changelog="Sharper answers.", session=s)
        detail = listing_detail(slug=pub.slug, viewer=subscriber, session=s)
    assert detail.version_number == 2
    assert [(c.version_number, c.changelog) for c in detail.changelog] == [
        (2, "Sharper answers."),
        (1, "First published version."),
    ]
    assert detail.viewer_version_number == 1  # the subscriber still runs v1 until a new conversation
    with pytest.raises(ListingInvalid, match="not newer"), session_scope() as s:
        publish_version(actor=owner, listing_id=pub.id, changelog="Again", session=s)


def test_the_public_page_shows_tools_and_data_but_no_configuration(make_actor: Callable[[], Actor]) -> None:
    owner = make_actor()
    pub = listing(
        owner,
        publisher_connection(owner),
        instructions=SECRET,
        tools=("fetch_webpage", "calculator"),
        title="Web researcher",
        tagline="Finds things on the web",
    )
    with session_scope() as s:
        detail = listing_detail(slug=pub.slug, viewer=None, session=s)
    assert [t.title for t in detail.tools] == ["Fetch web pages", "Calculator"]
    assert "can fetch web pages" in detail.data_leaves_summary.lower()
    assert detail.meta_description == "Finds things on the web"
    assert SECRET not in repr(detail) and "test-model" not in repr(detail) and "127.0.0.1" not in repr(detail)
    assert not detail.viewer_subscribed and not detail.viewer_is_publisher


def test_drafts_unlisted_and_suspended_pages(make_actor: Callable[[], Actor]) -> None:
    owner, visitor = make_actor(), make_actor()
    admin = _admin(make_actor)
    conn = publisher_connection(owner)
    draft = listing(owner, conn, publish=False)
    live = listing(owner, conn)
    with session_scope() as s:
        assert listing_detail(slug=draft.slug, viewer=owner, session=s).status == "draft"
        with pytest.raises(NotFound):
            listing_detail(slug=draft.slug, viewer=visitor, session=s)
        with pytest.raises(PermissionDenied):
            suspend_listing(actor=visitor, listing_id=live.id, reason="spam", session=s)
        suspend_listing(actor=admin, listing_id=live.id, reason="Misleading claims", session=s)
    with session_scope() as s:
        with pytest.raises(NotFound):
            listing_detail(slug=live.slug, viewer=None, session=s)
        assert listing_detail(slug=live.slug, viewer=admin, session=s).status == "suspended"
        assert publisher_listings(actor=owner, session=s)[0].suspended_reason == "Misleading claims"
        with pytest.raises(MarketplaceError, match="suspended"):
            publish_listing(actor=owner, listing_id=live.id, session=s)
        reinstate_listing(actor=admin, listing_id=live.id, session=s)
    with session_scope() as s:
        assert publish_listing(actor=owner, listing_id=live.id, session=s).status == "published"


def test_an_agent_without_a_model_cannot_be_published(actor: Actor) -> None:
    draft = listing(actor, publisher_connection(actor), publish=False)
    with session_scope() as s:
        bp = get_blueprint(actor=actor, agent_id=draft.agent_id, session=s)
        bp.model = ""
        s.add(bp)
    with pytest.raises(MarketplaceError, match="connection and a model"), session_scope() as s:
        publish_listing(actor=actor, listing_id=draft.id, session=s)


def test_deleting_an_agent_unlists_its_listing(make_actor: Callable[[], Actor]) -> None:
    from marketplace.listings import retire_agent
    from marketplace.search import search_listings

    owner = make_actor()
    conn = publisher_connection(owner)
    row = listing(owner, conn, title="Tide tables", description="Predicts the harbour tides.")
    member = _member(owner, make_actor, "member")
    with pytest.raises(PermissionDenied, match="owners and admins"), session_scope() as s:
        retire_agent(actor=member, agent_id=row.agent_id, session=s)
    with session_scope() as s:
        assert search_listings(query="harbour", session=s).total == 1
        retire_agent(actor=owner, agent_id=row.agent_id, session=s)
    with session_scope() as s:
        stored = s.get(Listing, row.id)
        assert stored is not None and stored.status == "unlisted"
        assert search_listings(query="harbour", session=s).total == 0
