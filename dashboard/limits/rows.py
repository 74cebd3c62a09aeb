"""Budgets and rate limits as plain rows for a page, and the form handling both pages share.

Stateless and synchronous: :class:`dashboard.limits.state.LimitsMixin` calls these helpers in a
thread (each opens its own database session), so no database work runs on the event loop.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from backend.accounts.actor import Actor, NotFound, PermissionDenied
from backend.agents.service import list_agents
from backend.db import session_scope
from backend.gateway.admin import (
    apply_change,
    can_manage_limits,
    delete_budget,
    delete_rate_limit,
    list_budgets,
    list_end_users,
    list_rate_limits,
    set_budget,
    set_rate_limit,
)
from backend.models.gateway import NANO_PER_USD, BudgetPublic, RateLimitPublic
from dashboard.shell.forms import parse_number

WORKSPACE_SCOPE = "workspace:"
"""Scope choice value of the whole workspace (``"<scope>:<scope id>"``)."""


@dataclass
class ScopeOption:
    """A choice of the "applies to" select: ``value`` is ``"<scope>:<scope id>"``."""

    value: str = ""
    label: str = ""


@dataclass
class BudgetRow:
    """A budget with this period's figures, ready to show (amounts already formatted)."""

    id: str = ""
    scope_label: str = ""
    period_label: str = ""
    cap_label: str = ""
    used_label: str = ""
    percent: int = 0
    over: bool = False
    resets_label: str = ""
    title: str = ""


@dataclass
class RateLimitRow:
    """A rate-limit rule, ready to show."""

    id: str = ""
    scope_label: str = ""
    requests_label: str = ""
    tokens_label: str = ""
    title: str = ""


def usd(amount: float) -> str:
    """A dollar amount: ``$0``, ``$0.000123``, ``$0.0042``, ``$0.01``, ``$12.50``."""
    if amount <= 0:
        return "$0"
    if amount < 0.01:
        return "$" + f"{amount:.6f}".rstrip("0").rstrip(".")
    return f"${amount:,.2f}"


def scope_names(actor: Actor) -> dict[str, str]:
    """``{"<scope>:<id>": label}`` for the workspace, its agents and its members."""
    with session_scope() as session:
        agents = list_agents(actor=actor, session=session)
        users = list_end_users(actor=actor, session=session)
    names = {WORKSPACE_SCOPE: "Whole workspace"}
    names.update({f"agent:{a.id}": f"Agent “{a.name}”" for a in agents})
    names.update({f"end_user:{u.user_id}": f"End user {u.email}" for u in users})
    return names


def scope_options(names: dict[str, str]) -> list[ScopeOption]:
    """The "applies to" choices: the workspace, then agents, then end users."""
    return [ScopeOption(value, label) for value, label in names.items()]


def _scope_label(scope: str, scope_id: str, names: dict[str, str]) -> str:
    if scope == "workspace":
        return names[WORKSPACE_SCOPE]
    fallback = {"agent": "A deleted agent", "end_user": "A former member"}.get(scope, scope)
    return names.get(f"{scope}:{scope_id}", fallback)


def budget_row(budget: BudgetPublic, names: dict[str, str]) -> BudgetRow:
    """The page's view of a budget: cap, spend this period vs cap, when it resets."""
    caps, used, ratios = [], [], [0.0]
    if budget.limit_nano is not None:
        limit, spent = budget.limit_nano / NANO_PER_USD, budget.spent_nano / NANO_PER_USD
        held_nano = budget.reserved_nano / NANO_PER_USD
        caps.append(usd(limit))
        held = f" · {usd(held_nano)} held by replies in progress" if budget.reserved_nano > 0 else ""
        used.append(f"{usd(spent)} of {usd(limit)} spent{held}")
        ratios.append((budget.spent_nano + budget.reserved_nano) / budget.limit_nano)
    if budget.token_limit is not None:
        caps.append(f"{budget.token_limit:,} tokens")
        tokens = budget.spent_tokens + budget.reserved_tokens
        used.append(f"{tokens:,} of {budget.token_limit:,} tokens used")
        ratios.append(tokens / budget.token_limit)
    ratio = max(ratios)
    period = "Daily" if budget.period == "day" else "Monthly"
    scope = _scope_label(budget.scope, budget.scope_id, names)
    return BudgetRow(
        id=budget.id,
        scope_label=scope,
        period_label=period,
        cap_label=" and ".join(caps),
        used_label=" · ".join(used),
        percent=min(100, round(ratio * 100)),
        over=ratio >= 1,
        resets_label=f"Resets {budget.resets_at:%Y-%m-%d %H:%M} UTC",
        title=f"{period.lower()} budget of {scope[0].lower()}{scope[1:]}",
    )


def rate_row(rule: RateLimitPublic, names: dict[str, str]) -> RateLimitRow:
    """The page's view of a rate-limit rule."""
    scope = _scope_label(rule.scope, rule.scope_id, names)
    return RateLimitRow(
        id=rule.id,
        scope_label=scope,
        requests_label=f"{rule.requests_per_min:,} requests/min" if rule.requests_per_min else "no request limit",
        tokens_label=f"{rule.tokens_per_min:,} tokens/min" if rule.tokens_per_min else "no token limit",
        title=f"rate limit of {scope[0].lower()}{scope[1:]}",
    )


def load_limits(
    actor: Actor, names: dict[str, str], *, scope: str | None = None, scope_id: str | None = None
) -> tuple[list[BudgetRow], list[RateLimitRow]]:
    """The workspace's budgets and rate limits (optionally of one scope) as rows."""
    with session_scope() as session:
        budgets = list_budgets(actor=actor, scope=scope, scope_id=scope_id, session=session)
        rules = list_rate_limits(actor=actor, scope=scope, scope_id=scope_id, session=session)
    return [budget_row(b, names) for b in budgets], [rate_row(r, names) for r in rules]


@dataclass
class LimitsSnapshot:
    """What a limits card shows: rows, whether the user may change them, and scope labels."""

    budgets: list[BudgetRow]
    rate_limits: list[RateLimitRow]
    can_manage: bool
    names: dict[str, str]


def load_snapshot(actor: Actor, *, scope: str | None = None, scope_id: str | None = None) -> LimitsSnapshot:
    """Load the workspace's limits (optionally of one scope) with labels; blocking, call it in a thread.

    Raises:
        PermissionDenied: the actor is not a member of the workspace.
    """
    names = scope_names(actor)
    budgets, rules = load_limits(actor, names, scope=scope, scope_id=scope_id)
    with session_scope() as session:
        can_manage = can_manage_limits(actor=actor, session=session)
    return LimitsSnapshot(budgets, rules, can_manage, names)


def split_scope(value: str) -> tuple[str, str]:
    """``"agent:abc"`` -> ``("agent", "abc")``; ``"workspace:"`` -> ``("workspace", "")``."""
    scope, _, scope_id = value.partition(":")
    return scope, scope_id


def save_budget(actor: Actor, scope_value: str, period: str, form: dict[str, Any]) -> dict[str, str]:
    """Create or replace a budget from a submitted form (fields ``limit_usd``, ``token_limit``).

    Returns:
        ``{field: message}``; empty on success. ``"form"`` holds a message for the whole form.
    """
    errors: dict[str, str] = {}
    # the typed text goes to the service as is: it converts it to nano-USD exactly (bad text -> field error)
    limit = parse_number(form, "limit_usd", str, "Enter an amount in USD, e.g. 0.50.", errors)
    tokens = parse_number(form, "token_limit", int, "Enter a whole number of tokens.", errors)
    if errors:
        return errors
    scope, scope_id = split_scope(scope_value)
    return apply_change(
        lambda session: set_budget(
            actor=actor,
            scope=scope,
            scope_id=scope_id,
            period=period,
            limit_usd=limit,
            token_limit=tokens,
            session=session,
        )
    )


def save_rate_limit(actor: Actor, scope_value: str, form: dict[str, Any]) -> dict[str, str]:
    """Create or replace a rate limit from a submitted form (``requests_per_min``, ``tokens_per_min``).

    Returns:
        ``{field: message}``; empty on success. ``"form"`` holds a message for the whole form.
    """
    errors: dict[str, str] = {}
    requests = parse_number(form, "requests_per_min", int, "Enter a whole number of requests.", errors)
    tokens = parse_number(form, "tokens_per_min", int, "Enter a whole number of tokens.", errors)
    if errors:
        return errors
    scope, scope_id = split_scope(scope_value)
    return apply_change(
        lambda session: set_rate_limit(
            actor=actor,
            scope=scope,
            scope_id=scope_id,
            requests_per_min=requests,
            tokens_per_min=tokens,
            session=session,
        )
    )


def remove_budget(actor: Actor, budget_id: str) -> str:
    """Delete a budget; returns an error message, or ``""`` when it is gone."""
    try:
        with session_scope() as session:
            delete_budget(actor=actor, budget_id=budget_id, session=session)
    except NotFound:
        return "That budget was already deleted."
    except PermissionDenied as exc:
        return str(exc)
    return ""


def remove_rate_limit(actor: Actor, rule_id: str) -> str:
    """Delete a rate limit; returns an error message, or ``""`` when it is gone."""
    try:
        with session_scope() as session:
            delete_rate_limit(actor=actor, rule_id=rule_id, session=session)
    except NotFound:
        return "That rate limit was already deleted."
    except PermissionDenied as exc:
        return str(exc)
    return ""
