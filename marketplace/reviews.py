"""Reviews: 1-5 stars and text from subscribers who finished at least one run, one per subscriber
and listing (editable); the publisher may reply once. The listing's rating counters change in the
same transaction as the review."""

from __future__ import annotations

from sqlalchemy import update
from sqlalchemy.exc import IntegrityError
from sqlmodel import Session, col, select

from backend.accounts import permissions
from backend.accounts.actor import Actor, NotFound
from backend.models import Listing, Review, Run, Subscription, User
from backend.models.common import utcnow
from marketplace.errors import ReviewNotAllowed
from marketplace.schemas import ReviewView

MAX_REVIEW_CHARS = 4000
MAX_REPLY_CHARS = 2000
REVIEWS_SHOWN = 50


def author_name(email: str) -> str:
    """A reviewer's public name: the local part of their email (``"ana"`` for ana@example.com)."""
    return email.split("@", 1)[0]


def _view(review: Review, email: str, viewer_user_id: str | None) -> ReviewView:
    return ReviewView(
        id=review.id,
        author=author_name(email),
        stars=review.stars,
        text=review.text,
        reply=review.reply,
        created_at=review.created_at,
        updated_at=review.updated_at,
        replied_at=review.replied_at,
        mine=review.user_id == viewer_user_id,
    )


def can_review(*, user_id: str, listing: Listing, session: Session) -> bool:
    """True when the user subscribed to the listing (active or not) and has a succeeded run of its agent."""
    subscribed = session.exec(
        select(Subscription.id).where(Subscription.listing_id == listing.id, Subscription.user_id == user_id)
    ).first()
    if subscribed is None:
        return False
    finished = session.exec(
        select(Run.id).where(Run.agent_id == listing.agent_id, Run.user_id == user_id, Run.status == "succeeded")
    ).first()
    return finished is not None


def _rating(listing_id: str, count: int, total: int, session: Session) -> None:
    session.exec(  # type: ignore[call-overload]
        update(Listing)
        .where(col(Listing.id) == listing_id)
        .values(rating_count=col(Listing.rating_count) + count, rating_total=col(Listing.rating_total) + total)
    )


def _create(listing_id: str, user_id: str, stars: int, text: str, session: Session) -> Review:
    """Insert the user's review with its rating, or return the one another request just wrote."""
    review = Review(listing_id=listing_id, user_id=user_id, stars=stars, text=text)
    try:
        with session.begin_nested():
            session.add(review)
            session.flush()
            _rating(listing_id, 1, stars, session)
    except IntegrityError:
        return session.exec(select(Review).where(Review.listing_id == listing_id, Review.user_id == user_id)).one()
    return review


def save_review(*, actor: Actor, listing_id: str, stars: int, text: str, session: Session) -> ReviewView:
    """Write the actor's review of a listing, or edit it (stars and text; a reply stays).

    Args:
        stars: 1 to 5. text: up to 4,000 characters (may be empty).

    Raises:
        NotFound: no such listing (or a draft/suspended one).
        ReviewNotAllowed: not a subscriber with a finished run; stars outside 1-5; text too long.
    """
    listing = session.get(Listing, listing_id)
    if listing is None or listing.status in ("draft", "suspended"):
        raise NotFound("Listing not found.")
    if not 1 <= stars <= 5:
        raise ReviewNotAllowed("Choose 1 to 5 stars.")
    if len(text) > MAX_REVIEW_CHARS:
        raise ReviewNotAllowed(f"Keep the review to {MAX_REVIEW_CHARS:,} characters.")
    if not can_review(user_id=actor.user_id, listing=listing, session=session):
        raise ReviewNotAllowed("Only subscribers who have run this agent at least once can review it.")
    review = session.exec(
        select(Review).where(Review.listing_id == listing.id, Review.user_id == actor.user_id)
    ).first()
    review = review or _create(listing.id, actor.user_id, stars, text.strip(), session)
    if review.stars != stars or review.text != text.strip():  # an edit (or a second tab's review)
        _rating(listing.id, 0, stars - review.stars, session)
        review.stars, review.text, review.updated_at = stars, text.strip(), utcnow()
        session.add(review)
        session.flush()
    user = session.get(User, actor.user_id)
    return _view(review, user.email if user else "", actor.user_id)


def reply_to_review(*, actor: Actor, review_id: str, reply: str, session: Session) -> ReviewView:
    """The publisher's one reply to a review of their listing.

    Raises:
        PermissionDenied: not an owner/admin of the workspace.
        NotFound: no such review of the workspace's listings.
        ReviewNotAllowed: already replied; empty or over 2,000 characters.
    """
    permissions.require(
        actor, permissions.MARKETPLACE_PUBLISH, session, "Only the workspace's owners and admins may reply to reviews."
    )
    review = session.get(Review, review_id)
    listing = session.get(Listing, review.listing_id) if review else None
    if review is None or listing is None or listing.workspace_id != actor.workspace_id:
        raise NotFound("Review not found.")
    if review.replied_at is not None:
        raise ReviewNotAllowed("You have already replied to this review.")
    if not 1 <= len(reply.strip()) <= MAX_REPLY_CHARS:
        raise ReviewNotAllowed(f"Write a reply of 1 to {MAX_REPLY_CHARS:,} characters.")
    review.reply, review.replied_at = reply.strip(), utcnow()
    session.add(review)
    session.flush()
    author = session.get(User, review.user_id)
    return _view(review, author.email if author else "", actor.user_id)


def list_reviews(*, listing_id: str, viewer_user_id: str | None, session: Session) -> list[ReviewView]:
    """The newest 50 reviews of a listing (anyone may read them), the viewer's own marked ``mine``."""
    rows = session.exec(
        select(Review, User.email)
        .join(User, col(User.id) == col(Review.user_id))
        .where(Review.listing_id == listing_id)
        .order_by(col(Review.updated_at).desc())
        .limit(REVIEWS_SHOWN)
    ).all()
    return [_view(r, email, viewer_user_id) for r, email in rows]
