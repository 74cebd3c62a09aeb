"""The publisher's side: create and edit a listing, publish it, publish a new version, unlist it.

Only owners and admins of the agent's workspace change its listing (``marketplace.publish``); any
member may read the workspace's listings. One listing per agent. Subscribers and visitors run the
listing's pinned version (``Listing.version_id``): editing the agent changes nothing for them
until a new version is published here with a changelog entry.
"""

from __future__ import annotations

from sqlmodel import Session, col, func, select

from backend.accounts import audit, permissions
from backend.accounts.actor import Actor, NotFound, require_member
from backend.agents.service import delete_agent
from backend.blueprints import require_agent
from backend.models import Agent, BlueprintVersion, Listing, ListingVersion, Subscription
from backend.models.common import utcnow
from billing.catalog import listing_prices_changed
from marketplace.errors import ListingInvalid, MarketplaceError
from marketplace.schemas import ExamplePair, ListingInput, PublisherListing
from marketplace.validation import check_listing_input, slugify, unique_slug
from marketplace.views import plan_of, rating_of, trust_figures

_MANAGERS = "Only the workspace's owners and admins may publish its agents."


def _require_publisher(actor: Actor, session: Session) -> None:
    permissions.require(actor, permissions.MARKETPLACE_PUBLISH, session, _MANAGERS)


def _audit(session: Session, actor: Actor, action: str, listing: Listing, summary: str) -> None:
    audit.record(
        session, actor=actor, action=f"listing.{action}", target_kind="listing", target_id=listing.id, summary=summary
    )


def _own_listing(actor: Actor, listing_id: str, session: Session, *, manage: bool) -> Listing:
    if manage:
        _require_publisher(actor, session)
    else:
        require_member(actor, session)
    listing = session.get(Listing, listing_id)
    if listing is None or listing.workspace_id != actor.workspace_id:
        raise NotFound("Listing not found.")
    return listing


def _version(agent: Agent, number: int | None, session: Session) -> BlueprintVersion:
    row = session.exec(
        select(BlueprintVersion).where(
            BlueprintVersion.agent_id == agent.id, BlueprintVersion.version == (number or agent.current_version)
        )
    ).first()
    if row is None:
        raise NotFound(f"Version {number} not found.")
    return row


def _apply(listing: Listing, data: ListingInput) -> None:
    for name in (
        "title", "tagline", "description", "category", "icon", "plan_kind", "currency", "monthly_price_cents",
        "included_runs", "price_per_run_cents", "free_trial_runs", "subscriber_requests_per_min",
        "subscriber_monthly_budget_nano",
    ):  # fmt: skip
        setattr(listing, name, getattr(data, name))
    listing.tags, listing.tags_text = list(data.tags), " ".join(data.tags)
    listing.examples = [e.model_dump() for e in data.examples]
    listing.updated_at = utcnow()


def to_publisher_view(listing: Listing, session: Session) -> PublisherListing:
    """The publisher's row of one listing (subscribers counted live, runs from the last 30 days)."""
    agent = session.get(Agent, listing.agent_id)
    subscribers = session.exec(
        select(func.count()).where(Subscription.listing_id == listing.id, Subscription.status == "active")
    ).one()
    return PublisherListing(
        id=listing.id,
        slug=listing.slug,
        title=listing.title,
        icon=listing.icon,
        status=listing.status,
        agent_id=listing.agent_id,
        version_number=listing.version_number,
        latest_agent_version=agent.current_version if agent else listing.version_number,
        subscribers=int(subscribers),
        runs_30d=trust_figures(listing.agent_id, session).runs_30d,
        rating=rating_of(listing),
        plan=plan_of(listing),
        connection_id=listing.connection_id,
        suspended_reason=listing.suspended_reason,
    )


def save_listing(*, actor: Actor, agent_id: str, data: ListingInput, session: Session) -> PublisherListing:
    """Create the agent's listing as a draft pinned to the agent's current version, or update the
    fields of its existing listing (the pinned version and status stay; a slug, once chosen, stays
    unless ``data.slug`` names a free one). A published listing is updated in place (search too).

    Raises:
        PermissionDenied: not an owner/admin of the agent's workspace.
        NotFound: no such agent in the actor's workspace.
        ListingInvalid: per field (see :func:`marketplace.validation.check_listing_input`),
            ``slug`` when another listing has it.
    """
    _require_publisher(actor, session)
    agent = require_agent(actor, agent_id, session)
    clean = check_listing_input(data, workspace_id=actor.workspace_id, session=session)
    listing = session.exec(select(Listing).where(Listing.agent_id == agent.id)).first()
    if listing is None:
        version = _version(agent, None, session)
        listing = Listing(
            slug="",
            workspace_id=agent.workspace_id,
            agent_id=agent.id,
            version_id=version.id,
            version_number=version.version,
            created_by=actor.user_id,
            title=clean.title,
        )
    wanted = clean.slug or listing.slug or slugify(clean.title) or "agent"
    if clean.slug and unique_slug(clean.slug, session, listing.id) != clean.slug:
        raise ListingInvalid({"slug": "Another listing has this address; choose another."})
    listing.slug = unique_slug(wanted, session, listing.id)
    _apply(listing, clean)
    listing.connection_id = clean.connection_id or None
    session.add(listing)
    session.flush()
    listing_prices_changed(listing=listing, session=session)  # a published paid listing's prices
    return to_publisher_view(listing, session)


def listing_input(*, actor: Actor, listing_id: str, session: Session) -> ListingInput:
    """The listing's editable fields, to fill the publish form.

    Raises:
        PermissionDenied: not a member of the workspace. NotFound: not the workspace's listing.
    """
    x = _own_listing(actor, listing_id, session, manage=False)
    return ListingInput(
        title=x.title, tagline=x.tagline, description=x.description, category=x.category, tags=list(x.tags),
        icon=x.icon, slug=x.slug, examples=[ExamplePair(**e) for e in x.examples], plan_kind=x.plan_kind,  # type: ignore[arg-type]
        currency=x.currency, monthly_price_cents=x.monthly_price_cents, included_runs=x.included_runs,
        price_per_run_cents=x.price_per_run_cents, free_trial_runs=x.free_trial_runs,
        connection_id=x.connection_id or "", subscriber_requests_per_min=x.subscriber_requests_per_min,
        subscriber_monthly_budget_nano=x.subscriber_monthly_budget_nano,
    )  # fmt: skip


def _require_runnable(listing: Listing, session: Session) -> None:
    version = session.get(BlueprintVersion, listing.version_id)
    if version is None or not version.model or not (listing.connection_id or version.connection_id):
        raise MarketplaceError("Choose a connection and a model for this agent in the builder before publishing.")


def publish_listing(*, actor: Actor, listing_id: str, session: Session) -> PublisherListing:
    """Make a draft or unlisted listing public (searchable, subscribable). The first publication
    writes changelog entry "First published version" for the pinned version.

    Raises:
        PermissionDenied: not an owner/admin. NotFound: not the workspace's listing.
        MarketplaceError: the listing is suspended (only an admin lifts that), or its version
            has no model or connection to run with.
    """
    listing = _own_listing(actor, listing_id, session, manage=True)
    if listing.status == "suspended":
        raise MarketplaceError("A platform admin suspended this listing; it cannot be published.")
    _require_runnable(listing, session)
    if listing.published_at is None:
        listing.published_at = utcnow()
        session.add(
            ListingVersion(
                listing_id=listing.id,
                blueprint_version_id=listing.version_id,
                version_number=listing.version_number,
                changelog="First published version.",
                published_by=actor.user_id,
            )
        )
    listing.status, listing.updated_at = "published", utcnow()
    session.add(listing)
    session.flush()
    listing_prices_changed(listing=listing, session=session)  # Stripe mode: Product, Prices, Meter
    _audit(session, actor, "published", listing, f"Published {listing.title} v{listing.version_number}")
    return to_publisher_view(listing, session)


def publish_version(
    *, actor: Actor, listing_id: str, changelog: str, version: int | None = None, session: Session
) -> PublisherListing:
    """Pin the listing to a newer version of its agent (default: the agent's current version) with
    a changelog entry. New conversations of subscribers and visitors run it from now on; existing
    conversations stay on the version they started with.

    Raises:
        PermissionDenied: not an owner/admin. NotFound: not the workspace's listing, or no such version.
        ListingInvalid: ``{"changelog": ...}`` empty or over 2,000 characters;
            ``{"version": ...}`` not newer than the pinned version.
    """
    listing = _own_listing(actor, listing_id, session, manage=True)
    agent = require_agent(actor, listing.agent_id, session)
    text = changelog.strip()
    if not 1 <= len(text) <= 2000:
        raise ListingInvalid({"changelog": "Say what changed in this version (up to 2,000 characters)."})
    row = _version(agent, version, session)
    if row.version <= listing.version_number:
        raise ListingInvalid(
            {"version": f"Version {row.version} is not newer than the published v{listing.version_number}."}
        )
    listing.version_id, listing.version_number, listing.updated_at = row.id, row.version, utcnow()
    _require_runnable(listing, session)
    session.add(
        ListingVersion(
            listing_id=listing.id,
            blueprint_version_id=row.id,
            version_number=row.version,
            changelog=text,
            published_by=actor.user_id,
        )
    )
    session.add(listing)
    session.flush()
    _audit(session, actor, "version_published", listing, f"Published {listing.title} v{row.version}")
    return to_publisher_view(listing, session)


def unlist_listing(*, actor: Actor, listing_id: str, session: Session) -> PublisherListing:
    """Hide a listing from search and stop new subscriptions; current subscribers keep running it.

    Raises:
        PermissionDenied: not an owner/admin. NotFound: not the workspace's listing.
        MarketplaceError: the listing is suspended.
    """
    listing = _own_listing(actor, listing_id, session, manage=True)
    if listing.status == "suspended":
        raise MarketplaceError("A platform admin suspended this listing.")
    listing.status, listing.updated_at = "unlisted", utcnow()
    session.add(listing)
    session.flush()
    _audit(session, actor, "unlisted", listing, f"Unlisted {listing.title}")
    return to_publisher_view(listing, session)


def listing_for_agent(*, actor: Actor, agent_id: str, session: Session) -> PublisherListing | None:
    """The agent's listing (any status) for the builder's publish tab, or None when it has none.

    Raises:
        PermissionDenied: not a member. NotFound: no such agent in the actor's workspace.
    """
    agent = require_agent(actor, agent_id, session)
    listing = session.exec(select(Listing).where(Listing.agent_id == agent.id)).first()
    return None if listing is None else to_publisher_view(listing, session)


def publisher_listings(*, actor: Actor, session: Session) -> list[PublisherListing]:
    """The publisher dashboard: every listing of the actor's workspace, newest first.

    Raises:
        PermissionDenied: not a member of the workspace.
    """
    require_member(actor, session)
    rows = session.exec(
        select(Listing).where(Listing.workspace_id == actor.workspace_id).order_by(col(Listing.created_at).desc())
    ).all()
    return [to_publisher_view(x, session) for x in rows]


def retire_agent(*, actor: Actor, agent_id: str, session: Session) -> None:
    """Delete an agent and, in the same transaction, unlist its listing: a deleted agent cannot run,
    so the listing leaves search and stops taking subscribers (a suspended one stays suspended).
    Subscribers keep their history. Use this instead of ``backend.agents.service.delete_agent``
    wherever a user deletes an agent (the backend does not know the marketplace).

    Raises:
        NotFound: not an agent of the actor's workspace. PermissionDenied: as ``delete_agent``; and
        an agent with a listing may only be deleted by an owner or admin (who may unlist it).
    """
    listings = session.exec(
        select(Listing).where(Listing.agent_id == agent_id, Listing.workspace_id == actor.workspace_id)
    ).all()
    if listings:
        permissions.require(
            actor,
            permissions.MARKETPLACE_PUBLISH,
            session,
            "Only owners and admins can delete an agent that has a marketplace listing.",
        )
    delete_agent(actor=actor, agent_id=agent_id, session=session)  # checks membership and the agent
    for listing in listings:
        if listing.status in ("draft", "published"):
            listing.status, listing.updated_at = "unlisted", utcnow()
            session.add(listing)
