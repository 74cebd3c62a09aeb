"""Building the public views of listings: plan labels, ratings, trust figures, tool disclosures.

Everything here reads only what anyone may see; nothing touches a blueprint's instructions,
knowledge, connection or secrets (the tool list is reduced to public titles and data statements).
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from datetime import timedelta
from statistics import median

from sqlmodel import Session, col, func, select

from backend.chat.service import ConversationPublic, MessagePublic
from backend.models import Listing, Review, Run, User, Workspace
from backend.models.common import utcnow
from marketplace.schemas import (
    ConversationView,
    ListingCard,
    MessageView,
    Plan,
    RatingSummary,
    ToolUse,
    TrustFigures,
)

TRUST_WINDOW = timedelta(days=30)
_LATENCY_SAMPLE = 5000  # newest runs whose latency enters the median

TOOL_DISCLOSURES: dict[str, tuple[str, str]] = {
    "http_request": (
        "Web requests",
        "Can call web APIs: the requests it makes, with what you typed in them, leave Agent Hub.",
    ),
    "fetch_webpage": ("Fetch web pages", "Can fetch web pages: the addresses it opens leave Agent Hub."),
    "create_task": ("Tasks", "Keeps tasks in the publisher's workspace."),
    "list_tasks": ("Tasks", "Keeps tasks in the publisher's workspace."),
    "complete_task": ("Tasks", "Keeps tasks in the publisher's workspace."),
    "create_note": ("Notes", "Keeps notes in the publisher's workspace."),
    "search_notes": ("Notes", "Keeps notes in the publisher's workspace."),
    "send_notification": ("Notifications", "Can send notifications to the publisher's team."),
    "current_datetime": ("Date and time", "Reads the current date and time; nothing leaves."),
    "calculator": ("Calculator", "Does arithmetic; nothing leaves."),
    "summarize_conversation": ("Conversation summary", "Summarises your conversation; nothing leaves."),
    "knowledge_search": ("Knowledge search", "Searches the publisher's reference documents; nothing leaves."),
}
_CUSTOM_TOOL = (
    "Custom integration",
    "Can call an outside service the publisher connected: what you typed may be sent to it.",
)
_MODEL_STATEMENT = "Your messages are sent to the AI model provider the publisher chose."


def money(cents: int, currency: str = "usd") -> str:
    """``950`` -> ``"$9.50"`` (other currencies: ``"9.50 EUR"``)."""
    amount = f"{cents // 100:,}.{cents % 100:02d}"
    return f"${amount}" if currency == "usd" else f"{amount} {currency.upper()}"


def plan_of(listing: Listing) -> Plan:
    """The listing's plan with a ready label (``"Free"``, ``"$9.00 / month · 100 runs included"``)."""
    if listing.plan_kind == "monthly":
        label = f"{money(listing.monthly_price_cents, listing.currency)} / month"
        if listing.included_runs:
            label += f" · {listing.included_runs:,} runs included"
        if listing.price_per_run_cents:
            label += f" · then {money(listing.price_per_run_cents, listing.currency)} per run"
    elif listing.plan_kind == "per_run":
        label = f"{money(listing.price_per_run_cents, listing.currency)} per run"
    else:
        label = "Free"
    if listing.plan_kind != "free" and listing.free_trial_runs:
        label += f" · {listing.free_trial_runs} free trial runs"
    return Plan(
        listing.plan_kind,
        listing.currency,
        listing.monthly_price_cents,
        listing.included_runs,
        listing.price_per_run_cents,
        listing.free_trial_runs,
        label,
    )


def rating_of(listing: Listing) -> RatingSummary:
    """Average and count from the listing's counters (no histogram: cards)."""
    average = round(listing.rating_total / listing.rating_count, 1) if listing.rating_count else 0.0
    return RatingSummary(average, listing.rating_count)


def rating_with_histogram(listing: Listing, session: Session) -> RatingSummary:
    """Average, count and stars histogram of the listing's reviews."""
    rows = session.exec(
        select(Review.stars, func.count()).where(Review.listing_id == listing.id).group_by(col(Review.stars))
    ).all()
    counts = dict(rows)
    histogram = (counts.get(1, 0), counts.get(2, 0), counts.get(3, 0), counts.get(4, 0), counts.get(5, 0))
    total, count = sum((i + 1) * n for i, n in enumerate(histogram)), sum(histogram)
    return RatingSummary(round(total / count, 1) if count else 0.0, count, histogram)


def publisher_names(workspace_ids: Iterable[str], session: Session) -> dict[str, str]:
    """Public names of publishers: their workspace name (a personal workspace: the owner's email
    local part, never the full address)."""
    ids = list(set(workspace_ids))
    if not ids:
        return {}
    rows = session.exec(
        select(Workspace.id, Workspace.name, Workspace.personal, User.email)
        .join(User, col(User.id) == col(Workspace.owner_id))
        .where(col(Workspace.id).in_(ids))
    ).all()
    return {wid: publisher_name(name, personal, email) for wid, name, personal, email in rows}


def publisher_name(workspace_name: str, personal: bool, owner_email: str) -> str:
    """A publisher's public name: the workspace's name, or for a personal workspace the owner's
    email local part (never the full address)."""
    return owner_email.split("@", 1)[0] if personal else workspace_name


def card_of(listing: Listing, publisher: str) -> ListingCard:
    """The card of one listing (``publisher`` from :func:`publisher_names`)."""
    return ListingCard(
        id=listing.id,
        slug=listing.slug,
        title=listing.title,
        tagline=listing.tagline,
        icon=listing.icon,
        category=listing.category,
        tags=tuple(listing.tags),
        publisher=publisher,
        plan=plan_of(listing),
        rating=rating_of(listing),
        subscriber_count=listing.subscriber_count,
        published_at=listing.published_at,
    )


def cards_of(listings: Sequence[Listing], session: Session) -> tuple[ListingCard, ...]:
    """Cards of several listings, in the given order (one query for publisher names)."""
    names = publisher_names((x.workspace_id for x in listings), session)
    return tuple(card_of(x, names.get(x.workspace_id, "")) for x in listings)


def trust_figures(agent_id: str, session: Session) -> TrustFigures:
    """Runs of the agent in the last 30 days (anyone's), their success rate among finished runs,
    and the median latency (ms) of the newest 5,000 measured ones.

    One query reads the newest 5,000 runs of the window; only an agent with more runs than that
    costs a second one (a count by status over the whole window).
    """
    since = utcnow() - TRUST_WINDOW
    recent = session.exec(
        select(Run.status, Run.latency_ms)
        .where(Run.agent_id == agent_id, Run.created_at >= since)
        .order_by(col(Run.created_at).desc())
        .limit(_LATENCY_SAMPLE)
    ).all()
    counts: dict[str, int] = {}
    if len(recent) < _LATENCY_SAMPLE:
        for status, _ in recent:
            counts[status] = counts.get(status, 0) + 1
    else:
        rows = session.exec(
            select(Run.status, func.count())
            .where(Run.agent_id == agent_id, Run.created_at >= since)
            .group_by(col(Run.status))
        ).all()
        counts = {status: int(n) for status, n in rows}
    finished = counts.get("succeeded", 0) + counts.get("failed", 0)
    latencies = [ms for _, ms in recent if ms is not None]
    return TrustFigures(
        runs_30d=sum(counts.values()),
        success_rate_pct=round(100 * counts.get("succeeded", 0) / finished, 1) if finished else None,
        median_latency_ms=int(median(latencies)) if latencies else None,
    )


def tools_of(tool_names: Iterable[str]) -> tuple[tuple[ToolUse, ...], str]:
    """The pinned version's tools (its allowlist) as public titles and data statements, and a
    one-line summary of what data leaves Agent Hub. Custom tools are named only as "Custom integration"."""
    seen: dict[str, ToolUse] = {}
    for name in tool_names:
        title, leaves = TOOL_DISCLOSURES.get(name, _CUSTOM_TOOL)
        seen.setdefault(title, ToolUse(title, leaves))
    leaving = [t.data_leaves for t in seen.values() if "nothing leaves" not in t.data_leaves]
    summary = " ".join([_MODEL_STATEMENT, *leaving])
    return tuple(seen.values()), summary


_RUN_FAILED = "The agent could not finish this answer. Try again in a moment."


def conversation_view(conv: ConversationPublic) -> ConversationView:
    """A conversation without its model name."""
    return ConversationView(conv.id, conv.title, conv.blueprint_version, conv.updated_at)


def message_view(msg: MessagePublic) -> MessageView:
    """A message without model, cost or fallback figures; a run's error only when it addresses
    the user (the end-user budget and rate-limit sentences start with "Your"), else a plain sentence."""
    error = msg.error if msg.error.startswith("Your ") else (_RUN_FAILED if msg.error else "")
    return MessageView(msg.id, msg.role, msg.content, msg.run_status, msg.latency_ms, error)
