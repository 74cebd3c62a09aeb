"""``agenthub seed-demo``'s marketplace part: ~30 listings from five publishers, with reviews.

Every listing is a real agent with real blueprint versions (some with a second version published
with a changelog entry), created and published through the same services the pages use. Reviews
come from demo subscribers (subscribed through :func:`marketplace.subscriptions.subscribe`); they
are written directly, since demo users have no runs (the listing pages therefore show no trust
figures until someone runs the agents). Idempotent: listings whose slug exists are skipped.
Nothing touches the network (connections point at ``--base-url`` but are never called).
"""

from __future__ import annotations

from sqlalchemy import update
from sqlmodel import Session, col, select

from backend.accounts.actor import Actor
from backend.accounts.service import sign_up
from backend.agents.service import create_agent, save_agent
from backend.blueprints import get_blueprint
from backend.connections.service import create_connection
from backend.models import BlueprintFields, Listing, Review, User, Workspace
from marketplace.listings import publish_listing, publish_version, save_listing
from marketplace.schemas import ExamplePair, ListingInput
from marketplace.seed_data import (
    DEMO_PASSWORD,
    LISTINGS,
    PUBLISHERS,
    REVIEW_TEXTS,
    REVIEWER_DOMAIN,
    REVIEWERS,
    DemoListing,
)
from marketplace.subscriptions import subscribe
from marketplace.validation import slugify


def _user(email: str, session: Session, workspace_name: str | None = None) -> Actor:
    user = session.exec(select(User).where(User.email == email)).first()
    if user is None:
        public, _ = sign_up(email=email, password=DEMO_PASSWORD, session=session)
        actor = Actor(public.id, public.workspace_id)
        if workspace_name:
            workspace = session.get(Workspace, public.workspace_id)
            assert workspace is not None  # noqa: S101
            workspace.name, workspace.personal = workspace_name, False
            session.add(workspace)
        return actor
    workspace_id = session.exec(select(Workspace.id).where(Workspace.owner_id == user.id)).one()
    return Actor(user.id, workspace_id)


def _connection(actor: Actor, base_url: str, session: Session) -> str:
    return create_connection(
        actor=actor,
        name="Demo endpoint",
        provider="openai_compatible",
        api_key=None,
        base_url=base_url,
        session=session,
    ).id


def _listing(item: DemoListing, actor: Actor, connection_id: str, model: str, session: Session) -> Listing:
    fields = BlueprintFields(
        name=item.title,
        description=item.tagline,
        avatar=item.icon,
        connection_id=connection_id,
        model=model,
        instructions=item.instructions,
        tools=list(item.tools),
        starters=[item.example[0]],
    )
    agent_id = create_agent(actor=actor, fields=fields, session=session)
    kind, cents = item.plan
    data = ListingInput(
        title=item.title,
        tagline=item.tagline,
        description=item.description,
        category=item.category,
        tags=list(item.tags),
        icon=item.icon,
        slug=slugify(item.title),
        examples=[ExamplePair(prompt=item.example[0], answer=item.example[1])],
        plan_kind=kind,  # type: ignore[arg-type]
        monthly_price_cents=cents if kind == "monthly" else 0,
        included_runs=200 if kind == "monthly" else 0,
        price_per_run_cents=cents if kind == "per_run" else 0,
        free_trial_runs=5 if kind != "free" else 0,
        subscriber_requests_per_min=20,
    )
    listing_id = save_listing(actor=actor, agent_id=agent_id, data=data, session=session).id
    publish_listing(actor=actor, listing_id=listing_id, session=session)
    if item.v2:
        current = get_blueprint(actor=actor, agent_id=agent_id, session=session)
        fields2 = BlueprintFields(**{name: getattr(current, name) for name in BlueprintFields.model_fields})
        fields2.instructions += " " + item.v2
        save_agent(actor=actor, agent_id=agent_id, fields=fields2, note=item.v2[:200], session=session)
        publish_version(actor=actor, listing_id=listing_id, changelog=item.v2, session=session)
    listing = session.get(Listing, listing_id)
    assert listing is not None  # noqa: S101
    return listing


def _reviews(listing: Listing, index: int, reviewers: list[Actor], session: Session) -> None:
    """Three to five reviews from demo subscribers (free listings only: paid ones need billing)."""
    if listing.plan_kind != "free":
        return
    for k, reviewer in enumerate(reviewers[: 3 + index % 3]):
        subscribe(actor=reviewer, listing_id=listing.id, session=session)
        stars, text = REVIEW_TEXTS[(index + k) % len(REVIEW_TEXTS)]
        session.add(Review(listing_id=listing.id, user_id=reviewer.user_id, stars=stars, text=text))
        session.exec(  # type: ignore[call-overload]
            update(Listing)
            .where(col(Listing.id) == listing.id)
            .values(rating_count=col(Listing.rating_count) + 1, rating_total=col(Listing.rating_total) + stars)
        )


def seed_marketplace(*, base_url: str, model: str, session: Session) -> int:
    """Add the demo publishers, their published listings and reviews (skipping listings that exist).

    Args:
        base_url: OpenAI-compatible endpoint the publishers' demo connections point at.
        model: Model name the demo agents use at that endpoint.

    Returns:
        How many listings were added (0 when all exist already).
    """
    existing = set(session.exec(select(Listing.slug)).all())
    todo = [(i, item) for i, item in enumerate(LISTINGS) if slugify(item.title) not in existing]
    if not todo:
        return 0
    publishers = {key: _user(email, session, name) for key, (name, email) in PUBLISHERS.items()}
    connections = {key: _connection(actor, base_url, session) for key, actor in publishers.items()}
    reviewers = [_user(f"{name}@{REVIEWER_DOMAIN}", session) for name in REVIEWERS]
    for index, item in todo:
        listing = _listing(item, publishers[item.publisher], connections[item.publisher], model, session)
        _reviews(listing, index, reviewers, session)
    return len(todo)
