"""Platform admins and the report queue: anyone signed in reports a listing or a review; admins
(``users.is_platform_admin``, set with ``agenthub make-admin EMAIL``) work the queue and may
suspend a listing (no search, no page, no runs) or lift a suspension."""

from __future__ import annotations

from sqlmodel import Session, col, select

from backend.accounts.actor import Actor, NotFound, PermissionDenied
from backend.models import Listing, Report, Review, User
from backend.models.common import utcnow
from marketplace.errors import MarketplaceError
from marketplace.schemas import ReportView

MAX_REASON_CHARS = 1000
QUEUE_SIZE = 200


def is_platform_admin(*, user_id: str, session: Session) -> bool:
    """True when the user is a platform admin."""
    user = session.get(User, user_id)
    return bool(user and user.is_platform_admin)


def require_admin(actor: Actor, session: Session) -> None:
    """Raise :class:`PermissionDenied` unless the actor's user is a platform admin."""
    if not is_platform_admin(user_id=actor.user_id, session=session):
        raise PermissionDenied("Only platform admins may do this.")


def _reason(reason: str) -> str:
    text = reason.strip()
    if not 3 <= len(text) <= MAX_REASON_CHARS:
        raise MarketplaceError(f"Say what is wrong in 3 to {MAX_REASON_CHARS:,} characters.")
    return text


def report_listing(*, actor: Actor, listing_id: str, reason: str, session: Session) -> str:
    """Report a visible listing to the platform admins.

    Returns:
        The report id.

    Raises:
        NotFound: no such listing (or a draft). MarketplaceError: the reason is empty or too long.
    """
    listing = session.get(Listing, listing_id)
    if listing is None or listing.status == "draft":
        raise NotFound("Listing not found.")
    report = Report(listing_id=listing.id, reporter_user_id=actor.user_id, reason=_reason(reason))
    session.add(report)
    session.flush()
    return report.id


def report_review(*, actor: Actor, review_id: str, reason: str, session: Session) -> str:
    """Report one review to the platform admins.

    Returns:
        The report id.

    Raises:
        NotFound: no such review. MarketplaceError: the reason is empty or too long.
    """
    review = session.get(Review, review_id)
    if review is None:
        raise NotFound("Review not found.")
    report = Report(
        listing_id=review.listing_id, review_id=review.id, reporter_user_id=actor.user_id, reason=_reason(reason)
    )
    session.add(report)
    session.flush()
    return report.id


def report_queue(*, actor: Actor, status: str = "open", session: Session) -> list[ReportView]:
    """Reports with ``status`` (``open`` oldest first, ``resolved`` newest first), at most 200.

    Raises:
        PermissionDenied: not a platform admin.
    """
    require_admin(actor, session)
    order = col(Report.created_at).asc() if status == "open" else col(Report.resolved_at).desc()
    rows = session.exec(
        select(Report, Listing, User.email)
        .join(Listing, col(Listing.id) == col(Report.listing_id))
        .join(User, col(User.id) == col(Report.reporter_user_id))
        .where(Report.status == status)
        .order_by(order)
        .limit(QUEUE_SIZE)
    ).all()
    out = []
    for report, listing, email in rows:
        review = session.get(Review, report.review_id) if report.review_id else None
        out.append(
            ReportView(
                id=report.id,
                listing_slug=listing.slug,
                listing_title=listing.title,
                listing_status=listing.status,
                review_id=report.review_id,
                review_text=review.text if review else "",
                reporter=email,
                reason=report.reason,
                status=report.status,
                resolution=report.resolution,
                created_at=report.created_at,
            )
        )
    return out


def resolve_report(*, actor: Actor, report_id: str, resolution: str, session: Session) -> None:
    """Close a report with a note (e.g. "Suspended the listing", "No problem found").

    Raises:
        PermissionDenied: not a platform admin. NotFound: no such report.
    """
    require_admin(actor, session)
    report = session.get(Report, report_id)
    if report is None:
        raise NotFound("Report not found.")
    report.status, report.resolution = "resolved", resolution.strip()[:500]
    report.resolved_by, report.resolved_at = actor.user_id, utcnow()
    session.add(report)


def suspend_listing(*, actor: Actor, listing_id: str, reason: str, session: Session) -> None:
    """Suspend a listing: out of search, its page gone, no runs for subscribers or visitors
    (their history stays readable). The publisher sees ``reason``.

    Raises:
        PermissionDenied: not a platform admin. NotFound: no such listing.
        MarketplaceError: the reason is empty or too long.
    """
    require_admin(actor, session)
    listing = session.get(Listing, listing_id)
    if listing is None:
        raise NotFound("Listing not found.")
    listing.status, listing.suspended_reason, listing.updated_at = "suspended", _reason(reason)[:500], utcnow()
    session.add(listing)


def reinstate_listing(*, actor: Actor, listing_id: str, session: Session) -> None:
    """Lift a suspension: the listing returns as ``unlisted``; its publisher may publish it again.

    Raises:
        PermissionDenied: not a platform admin. NotFound: no such listing.
    """
    require_admin(actor, session)
    listing = session.get(Listing, listing_id)
    if listing is None:
        raise NotFound("Listing not found.")
    if listing.status == "suspended":
        listing.status, listing.suspended_reason, listing.updated_at = "unlisted", "", utcnow()
        session.add(listing)
