"""Usage totals (from the analytics rollups of gateway usage records) as table rows for the settings page."""

from __future__ import annotations

from dataclasses import dataclass

from backend.accounts.actor import Actor
from backend.analytics.totals import TotalsBy, recent_usage_totals
from backend.db import session_scope
from backend.models.gateway import UsageTotal, nano_to_usd
from dashboard.limits.rows import usd

GROUPS: dict[str, str] = {"agent": "Agent", "model": "Model", "day": "Day (UTC)", "end_user": "End user"}
"""Group-by choices of the usage table and the header of their first column."""

RANGES: dict[str, str] = {"7": "Last 7 days", "30": "Last 30 days"}
"""Time-range choices (days)."""


@dataclass
class UsageRow:
    """One line of the usage table (numbers already formatted)."""

    label: str = ""
    calls: str = "0"
    errors: str = "0"
    prompt_tokens: str = "0"
    completion_tokens: str = "0"
    cost: str = "$0"


def _label(group: str, key: str, names: dict[str, str]) -> str:
    if group == "agent":
        label = names.get(f"agent:{key}", "No agent" if not key else "A deleted agent")
        return label.removeprefix("Agent “").removesuffix("”")
    if group == "end_user":
        return names.get(f"end_user:{key}", "Nobody" if not key else "A former member").removeprefix("End user ")
    return key or "—"


def _row(label: str, total: UsageTotal) -> UsageRow:
    return UsageRow(
        label=label,
        calls=f"{total.calls:,}",
        errors=f"{total.errors:,}",
        prompt_tokens=f"{total.prompt_tokens:,}",
        completion_tokens=f"{total.completion_tokens:,}",
        cost=usd(nano_to_usd(total.cost_nano_usd)),
    )


def load_usage(actor: Actor, *, days: int, group: str, names: dict[str, str]) -> tuple[list[UsageRow], UsageRow]:
    """Totals of the last ``days`` days grouped by ``group``, most expensive first, and the sum.

    Args:
        actor: A member of the workspace.
        days: Length of the range ending now.
        group: A key of :data:`GROUPS`.
        names: Labels of agents and end users (``dashboard.limits.rows.scope_names``).

    Returns:
        ``(rows, total)``; days are listed newest first instead.
    """
    group_by: TotalsBy = group if group in GROUPS else "agent"  # type: ignore[assignment]
    with session_scope() as session:
        totals = recent_usage_totals(actor=actor, days=days, group_by=group_by, session=session)
    if group_by == "day":
        totals.sort(key=lambda t: t.key, reverse=True)
    else:
        totals.sort(key=lambda t: (-t.cost_nano_usd, -t.calls, t.key))
    rows = [_row(_label(group_by, t.key, names), t) for t in totals]
    total = UsageTotal(
        key="",
        calls=sum(t.calls for t in totals),
        errors=sum(t.errors for t in totals),
        prompt_tokens=sum(t.prompt_tokens for t in totals),
        completion_tokens=sum(t.completion_tokens for t in totals),
        cached_tokens=sum(t.cached_tokens for t in totals),
        cost_nano_usd=sum(t.cost_nano_usd for t in totals),
    )
    return rows, _row("Total", total)
