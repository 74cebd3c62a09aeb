"""Checking the publish form (:class:`marketplace.schemas.ListingInput`) field by field."""

from __future__ import annotations

import re
import unicodedata

from sqlmodel import Session, select

from backend.models import Connection, Listing
from marketplace.errors import ListingInvalid
from marketplace.schemas import ListingInput

CATEGORIES = (
    "Writing",
    "Research",
    "Customer support",
    "Sales & marketing",
    "Finance",
    "Productivity",
    "Developer tools",
    "Education",
    "Legal",
    "HR & recruiting",
    "General",
)
"""Categories a listing may be in (the category filter of the marketplace home)."""

MAX_TAGS = 8
MAX_EXAMPLES = 6
MAX_DESCRIPTION = 20000
MIN_MONTHLY_CENTS = (
    50  # Stripe's smallest charge in USD (https://docs.stripe.com/currencies#minimum-and-maximum-charge-amounts)
)
MAX_PRICE_CENTS = 1_000_000
_SLUG_RE = re.compile(r"^[a-z0-9]+(?:-[a-z0-9]+)*$")


def slugify(text: str) -> str:
    """``"Invoice Helper Pro!"`` -> ``"invoice-helper-pro"`` (ASCII, at most 60 characters)."""
    ascii_text = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode()
    return re.sub(r"[^a-z0-9]+", "-", ascii_text.lower()).strip("-")[:60].strip("-")


def unique_slug(base: str, session: Session, listing_id: str | None = None) -> str:
    """``base`` or ``base-2``, ``base-3``, ... whichever no other listing has."""
    slug, n = base, 1
    while True:
        row = session.exec(select(Listing.id).where(Listing.slug == slug)).first()
        if row is None or row == listing_id:
            return slug
        n += 1
        slug = f"{base[:70]}-{n}"


def _text_errors(data: ListingInput) -> dict[str, str]:
    errors: dict[str, str] = {}
    if not 3 <= len(data.title.strip()) <= 80:
        errors["title"] = "Give the listing a title of 3 to 80 characters."
    if len(data.tagline.strip()) > 160:
        errors["tagline"] = "Keep the tagline to 160 characters."
    if len(data.description) > MAX_DESCRIPTION:
        errors["description"] = f"Keep the description to {MAX_DESCRIPTION:,} characters."
    if data.category not in CATEGORIES:
        errors["category"] = "Choose one of the categories."
    if len(data.tags) > MAX_TAGS or any(not 1 <= len(t.strip()) <= 24 for t in data.tags):
        errors["tags"] = f"Use at most {MAX_TAGS} tags of 1 to 24 characters each."
    if not 1 <= len(data.icon.strip()) <= 16:
        errors["icon"] = "Choose an icon (an emoji)."
    if data.slug and (not _SLUG_RE.match(data.slug) or not 3 <= len(data.slug) <= 80):
        errors["slug"] = "Use 3 to 80 lowercase letters, digits and dashes for the address."
    if len(data.examples) > MAX_EXAMPLES:
        errors["examples"] = f"Show at most {MAX_EXAMPLES} examples."
    for i, example in enumerate(data.examples):
        if not example.prompt.strip():
            errors[f"examples[{i}].prompt"] = "Write the example prompt, or remove the example."
    return errors


def _plan_errors(data: ListingInput) -> dict[str, str]:
    errors: dict[str, str] = {}
    if data.currency != "usd":
        errors["currency"] = "Prices are in US dollars (usd)."
    if data.plan_kind == "monthly" and not MIN_MONTHLY_CENTS <= data.monthly_price_cents <= MAX_PRICE_CENTS:
        errors["monthly_price_cents"] = "A monthly price is between $0.50 and $10,000."
    if data.plan_kind == "per_run" and not 1 <= data.price_per_run_cents <= MAX_PRICE_CENTS:
        errors["price_per_run_cents"] = "A price per run is between $0.01 and $10,000."
    if data.plan_kind == "monthly" and not 0 <= data.price_per_run_cents <= MAX_PRICE_CENTS:
        errors["price_per_run_cents"] = "A price per run beyond the included runs is between $0 and $10,000."
    if data.included_runs < 0 or data.included_runs > 1_000_000:
        errors["included_runs"] = "Included runs are between 0 and 1,000,000."
    if not 0 <= data.free_trial_runs <= 100:
        errors["free_trial_runs"] = "Free trial runs are between 0 and 100."
    if data.subscriber_requests_per_min is not None and not 1 <= data.subscriber_requests_per_min <= 10000:
        errors["subscriber_requests_per_min"] = "A rate limit is between 1 and 10,000 requests a minute (or none)."
    if data.subscriber_monthly_budget_nano is not None and data.subscriber_monthly_budget_nano < 0:
        errors["subscriber_monthly_budget_nano"] = "A budget cannot be negative."
    return errors


def check_listing_input(data: ListingInput, *, workspace_id: str, session: Session) -> ListingInput:
    """The input cleaned (trimmed text, lower-case unique tags, prices of other plan kinds zeroed).

    Raises:
        ListingInvalid: per field, e.g. ``{"title": "Give the listing a title of 3 to 80 characters."}``;
            ``connection_id`` when it is not a connection of ``workspace_id``.
    """
    errors = _text_errors(data) | _plan_errors(data)
    if data.connection_id:
        conn = session.get(Connection, data.connection_id)
        if conn is None or conn.workspace_id != workspace_id:
            errors["connection_id"] = "Choose one of your workspace's connections."
    if errors:
        raise ListingInvalid(errors)
    clean = data.model_copy(deep=True)
    clean.title, clean.tagline, clean.icon = data.title.strip(), data.tagline.strip(), data.icon.strip()
    clean.tags = list(dict.fromkeys(t.strip().lower() for t in data.tags))
    if data.plan_kind != "monthly":
        clean.monthly_price_cents, clean.included_runs = 0, 0
    if data.plan_kind == "free":
        clean.price_per_run_cents = 0  # monthly: the price of each run beyond the included runs
    if data.plan_kind == "free":
        clean.free_trial_runs = 0
    return clean
