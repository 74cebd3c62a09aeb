"""The publish form's fields <-> :class:`marketplace.schemas.ListingInput`: prices typed in US
dollars become integer cents, the per-subscriber budget in dollars becomes nano-USD, and each
service error key (``monthly_price_cents``, ``examples[0].prompt``) finds the field it belongs to."""

from __future__ import annotations

import re
from typing import Any

from dashboard.shell.forms import parse_number
from marketplace.schemas import ExamplePair, ListingInput
from marketplace.validation import MAX_EXAMPLES

NANO_PER_USD = 1_000_000_000
OWN_CONNECTION = "own"
"""The connection select's value for "the agent's own connection" (Radix items cannot be empty)."""

FIELDS = (
    "title", "tagline", "description", "category", "tags", "icon", "slug", "examples", "plan_kind",
    "monthly_price", "included_runs", "price_per_run", "free_trial_runs", "connection_id",
    "subscriber_requests_per_min", "subscriber_monthly_budget", "currency", "changelog", "version",
    *(f"example_prompt_{i}" for i in range(MAX_EXAMPLES)),
)  # fmt: skip
_RENAMED = {
    "monthly_price_cents": "monthly_price",
    "price_per_run_cents": "price_per_run",
    "subscriber_monthly_budget_nano": "subscriber_monthly_budget",
}
_EXAMPLE_KEY = re.compile(r"^examples\[(\d+)\]\.prompt$")


def _usd(cents: int) -> str:
    return f"{cents / 100:.2f}" if cents else ""


def form_values(data: ListingInput) -> dict[str, str]:
    """The form's initial values (strings) for ``data``."""
    values = {
        "title": data.title,
        "tagline": data.tagline,
        "description": data.description,
        "category": data.category,
        "tags": ", ".join(data.tags),
        "icon": data.icon,
        "slug": data.slug,
        "plan_kind": data.plan_kind,
        "monthly_price": _usd(data.monthly_price_cents),
        "included_runs": str(data.included_runs or ""),
        "price_per_run": _usd(data.price_per_run_cents),
        "free_trial_runs": str(data.free_trial_runs or ""),
        "connection_id": data.connection_id or OWN_CONNECTION,
        "subscriber_requests_per_min": str(data.subscriber_requests_per_min or ""),
        "subscriber_monthly_budget": (
            ""
            if data.subscriber_monthly_budget_nano is None
            else f"{data.subscriber_monthly_budget_nano / NANO_PER_USD:g}"
        ),
    }
    for i in range(MAX_EXAMPLES):
        pair = data.examples[i] if i < len(data.examples) else ExamplePair(prompt="")
        values[f"example_prompt_{i}"], values[f"example_answer_{i}"] = pair.prompt, pair.answer
    return values


def _cents(form: dict[str, Any], key: str, errors: dict[str, str]) -> int:
    amount = parse_number(form, key, float, "Type an amount in dollars, e.g. 9.50.", errors)
    return 0 if amount is None else round(amount * 100)


def _count(form: dict[str, Any], key: str, errors: dict[str, str]) -> int | None:
    return parse_number(form, key, int, "Type a whole number.", errors)


def listing_input(form: dict[str, Any]) -> tuple[ListingInput, dict[str, str]]:
    """The submitted form as a :class:`ListingInput`, and errors of fields that are not numbers
    (keyed by form field). Empty example prompts with empty answers are left out."""
    errors: dict[str, str] = {}
    text = {k: str(form.get(k, "") or "") for k in ("title", "tagline", "description", "icon", "slug", "category")}
    examples = []
    for i in range(MAX_EXAMPLES):
        prompt, answer = str(form.get(f"example_prompt_{i}", "") or ""), str(form.get(f"example_answer_{i}", "") or "")
        if prompt.strip() or answer.strip():
            examples.append(ExamplePair(prompt=prompt.strip()[:500], answer=answer.strip()[:4000]))
    budget = parse_number(form, "subscriber_monthly_budget", float, "Type an amount in dollars.", errors)
    plan = str(form.get("plan_kind", "free") or "free")
    connection = str(form.get("connection_id", "") or "")
    data = ListingInput(
        title=text["title"][:200],
        tagline=text["tagline"][:400],
        description=text["description"][:40000],
        category=text["category"] or "General",
        tags=[t.strip() for t in str(form.get("tags", "") or "").split(",") if t.strip()][:50],
        icon=text["icon"][:32],
        slug=text["slug"].strip().lower()[:120],
        examples=examples,
        plan_kind=plan if plan in ("free", "monthly", "per_run") else "free",  # type: ignore[arg-type]
        monthly_price_cents=_cents(form, "monthly_price", errors),
        included_runs=_count(form, "included_runs", errors) or 0,
        price_per_run_cents=_cents(form, "price_per_run", errors),
        free_trial_runs=_count(form, "free_trial_runs", errors) or 0,
        connection_id="" if connection == OWN_CONNECTION else connection,
        subscriber_requests_per_min=_count(form, "subscriber_requests_per_min", errors),
        subscriber_monthly_budget_nano=None if budget is None else round(budget * NANO_PER_USD),
    )
    return data, errors


def field_errors(errors: dict[str, str]) -> dict[str, str]:
    """Every form field's message (``""`` when fine) from a service's or the parser's errors."""
    out = dict.fromkeys(FIELDS, "")
    for key, message in errors.items():
        match = _EXAMPLE_KEY.match(key)
        out[f"example_prompt_{match.group(1)}" if match else _RENAMED.get(key, key)] = message
    return out
