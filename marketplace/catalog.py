"""The public listing page's data (no sign-in needed) and the marketplace home's categories."""

from __future__ import annotations

import re
from dataclasses import replace

from sqlmodel import Session, col, select

from backend.accounts.actor import Actor, NotFound
from backend.models import BlueprintVersion, Listing, ListingVersion, Membership, Subscription, User, Workspace
from marketplace.moderation import is_platform_admin
from marketplace.reviews import can_review, list_reviews
from marketplace.schemas import ChangelogEntry, ExamplePair, ListingDetail
from marketplace.validation import CATEGORIES
from marketplace.views import card_of, publisher_name, rating_with_histogram, tools_of, trust_figures

_MARKDOWN = re.compile(r"[#*_`>\[\]()!~|-]+")


def categories() -> tuple[str, ...]:
    """Every category of the home page's filter, in display order."""
    return CATEGORIES


def meta_description(listing: Listing) -> str:
    """Plain text for ``<meta name="description">`` and the social preview: the tagline, else
    the description without markdown marks, at most 160 characters."""
    text = listing.tagline or _MARKDOWN.sub(" ", listing.description)
    text = " ".join(text.split())
    return text if len(text) <= 160 else text[:157].rsplit(" ", 1)[0] + "..."


def _visible(listing: Listing | None, viewer: Actor | None, session: Session) -> tuple[Listing, bool]:
    """The listing if the viewer may see its page, and whether the viewer is its publisher."""
    if listing is None:
        raise NotFound("Listing not found.")
    publisher = viewer is not None and (
        session.exec(
            select(Membership).where(
                Membership.workspace_id == listing.workspace_id, Membership.user_id == viewer.user_id
            )
        ).first()
        is not None
    )
    if listing.status in ("published", "unlisted") or publisher:
        return listing, publisher
    if (
        viewer is not None
        and listing.status == "suspended"
        and is_platform_admin(user_id=viewer.user_id, session=session)
    ):
        return listing, False
    raise NotFound("Listing not found.")


def listing_detail(*, slug: str, viewer: Actor | None, session: Session) -> ListingDetail:
    """Everything the listing page ``/marketplace/<slug>`` shows, for anyone.

    Published and unlisted listings are visible to everybody (an unlisted one only by its link);
    drafts and suspended ones only to their publisher's members (and suspended ones to platform
    admins). ``viewer`` is the signed-in user, or None signed out.

    Raises:
        NotFound: no such listing, or the viewer may not see it.
    """
    row = session.exec(  # the listing, its publisher's public name and its version's tools at once
        select(Listing, Workspace.name, Workspace.personal, User.email, BlueprintVersion.tools)  # type: ignore[call-overload]
        .join(Workspace, col(Workspace.id) == col(Listing.workspace_id))
        .join(User, col(User.id) == col(Workspace.owner_id))
        .join(BlueprintVersion, col(BlueprintVersion.id) == col(Listing.version_id))
        .where(Listing.slug == slug)
    ).first()
    listing, is_publisher = _visible(row[0] if row else None, viewer, session)
    assert row is not None  # noqa: S101  (_visible raised otherwise)
    tools, leaves = tools_of(row[4])
    changelog = session.exec(
        select(ListingVersion)
        .where(ListingVersion.listing_id == listing.id)
        .order_by(col(ListingVersion.version_number).desc())
    ).all()
    sub = None
    if viewer is not None:
        sub = session.exec(
            select(Subscription).where(Subscription.listing_id == listing.id, Subscription.user_id == viewer.user_id)
        ).first()
    running = None
    if sub is not None:
        running = session.exec(
            select(ListingVersion.version_number).where(
                ListingVersion.listing_id == listing.id,
                ListingVersion.blueprint_version_id == sub.blueprint_version_id,
            )
        ).first()
    card = card_of(listing, publisher_name(row[1], row[2], row[3]))
    card = replace(card, rating=rating_with_histogram(listing, session))
    return ListingDetail(
        card=card,
        description=listing.description,
        examples=tuple(ExamplePair(**e) for e in listing.examples),
        tools=tools,
        data_leaves_summary=leaves,
        version_number=listing.version_number,
        changelog=tuple(ChangelogEntry(v.version_number, v.changelog, v.published_at) for v in changelog),
        trust=trust_figures(listing.agent_id, session),
        reviews=tuple(
            list_reviews(listing_id=listing.id, viewer_user_id=viewer.user_id if viewer else None, session=session)
        ),
        status=listing.status,
        meta_description=meta_description(listing),
        viewer_is_publisher=is_publisher,
        viewer_subscribed=sub is not None and sub.status == "active",
        viewer_can_review=viewer is not None and can_review(user_id=viewer.user_id, listing=listing, session=session),
        viewer_version_number=running if running is not None else (listing.version_number if sub else None),
    )
