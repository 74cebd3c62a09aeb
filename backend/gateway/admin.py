"""Gateway settings for the UI: budgets, rate limits, the model catalog and price overrides.

Every function takes the acting user. Any member may read; only the workspace's ``owner`` or
``admin`` may change budgets, rate limits and price overrides (the "Limits & budgets" panel on
the workspace settings page and on each agent, and the catalog in the connection manager).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from decimal import Decimal

from sqlmodel import Session, col, select

from backend.accounts import audit, permissions
from backend.accounts.actor import Actor, NotFound, PermissionDenied, require_member
from backend.db import session_scope
from backend.errors import LimitInputError
from backend.gateway.budgets import counter_id, period_bounds
from backend.gateway.catalog import get_catalog, has_known_price
from backend.gateway.overrides import delete_model_override, set_model_override
from backend.gateway.refusals import REFUSAL_PHRASES
from backend.models import Agent, Membership, User
from backend.models.common import utcnow
from backend.models.gateway import (
    BUDGET_PERIODS,
    BUDGET_SCOPES,
    NANO_PER_USD,
    Budget,
    BudgetCounter,
    BudgetPublic,
    RateLimitPublic,
    RateLimitRule,
    usd_to_nano_exact,
)

__all__ = [
    "REFUSAL_PHRASES",
    "EndUser",
    "LimitInputError",
    "can_manage_limits",
    "delete_budget",
    "delete_model_override",
    "delete_rate_limit",
    "get_catalog",
    "has_known_price",
    "list_budgets",
    "list_end_users",
    "list_rate_limits",
    "set_budget",
    "set_model_override",
    "set_rate_limit",
]


def apply_change(change: Callable[[Session], object]) -> dict[str, str]:
    """Run one admin change in its own transaction and report problems as form errors.

    Args:
        change: called with an open session, e.g. ``lambda s: set_budget(..., session=s)``.

    Returns:
        ``{}`` on success; ``LimitInputError.errors`` for invalid input; ``{"form": message}``
        when the record is gone (``NotFound``) or the actor may not change it (``PermissionDenied``).
    """
    try:
        with session_scope() as session:
            change(session)
    except LimitInputError as exc:
        return dict(exc.errors)
    except (NotFound, PermissionDenied) as exc:
        return {"form": str(exc)}
    return {}


@dataclass(frozen=True)
class EndUser:
    """A person an ``end_user`` budget or rate limit can name (a member of the workspace)."""

    user_id: str
    email: str


def can_manage_limits(*, actor: Actor, session: Session) -> bool:
    """Whether the actor may change budgets, rate limits and prices (owner or admin).

    Raises:
        PermissionDenied: the actor is not a member of the workspace.
    """
    return permissions.role_allows(permissions.role_of(actor, session), permissions.LIMITS_MANAGE)


def list_end_users(*, actor: Actor, session: Session) -> list[EndUser]:
    """The workspace's members, by email, for the end-user scope of budgets and rate limits.

    Raises:
        PermissionDenied: the actor is not a member of the workspace.
    """
    require_member(actor, session)
    rows = session.exec(
        select(User)
        .join(Membership, col(Membership.user_id) == col(User.id))
        .where(Membership.workspace_id == actor.workspace_id)
        .order_by(col(User.email))
    ).all()
    return [EndUser(user_id=u.id, email=u.email) for u in rows]


def _require_manager(actor: Actor, session: Session) -> None:
    permissions.require(actor, permissions.LIMITS_MANAGE, session)


def _audit(session: Session, actor: Actor, action: str, target_id: str, summary: str) -> None:
    audit.record(
        session, actor=actor, action=f"limits.{action}", target_kind="limit", target_id=target_id, summary=summary
    )


def _check_scope(actor: Actor, scope: str, scope_id: str, session: Session) -> str:
    """Validate a scope; returns the scope id to store (the workspace id for ``workspace``)."""
    if scope not in BUDGET_SCOPES:
        raise LimitInputError({"scope": "Choose workspace, agent or end user."})
    if scope == "workspace":
        if scope_id and scope_id != actor.workspace_id:
            raise NotFound("Workspace not found.")
        return actor.workspace_id
    if scope == "agent":
        agent = session.get(Agent, scope_id) if scope_id else None
        if agent is None or agent.workspace_id != actor.workspace_id or agent.deleted_at is not None:
            raise NotFound("Agent not found.")
        return scope_id
    member = (
        session.exec(
            select(Membership.user_id).where(
                Membership.workspace_id == actor.workspace_id, Membership.user_id == scope_id
            )
        ).first()
        if scope_id
        else None
    )
    if member is None:  # other workspaces' users look exactly like ids that do not exist
        raise NotFound("User not found.")
    return scope_id


def _budget_public(budget: Budget, session: Session) -> BudgetPublic:
    start, end = period_bounds(budget.period, utcnow())
    row = session.get(BudgetCounter, counter_id(budget.id, start))
    spent, reserved = (row.spent_nanousd, row.reserved_nanousd) if row else (0, 0)
    return BudgetPublic(
        id=budget.id,
        scope=budget.scope,
        scope_id=budget.scope_id,
        period=budget.period,
        limit_nano=budget.limit_nano,
        token_limit=budget.token_limit,
        spent_nano=spent,
        reserved_nano=reserved,
        spent_tokens=row.spent_tokens if row else 0,
        reserved_tokens=row.reserved_tokens if row else 0,
        period_start=start,
        resets_at=end,
    )


def _limit_nano(limit_usd: Decimal | str | int | float | None, errors: dict[str, str]) -> int | None:
    """The dollar cap in nano-USD, or None; a bad amount is recorded under ``errors["limit_usd"]``."""
    if limit_usd is None:
        return None
    try:
        nano = usd_to_nano_exact(limit_usd)
    except ValueError:
        errors["limit_usd"] = "Enter an amount in USD, e.g. 0.50."
        return None
    if not 0 < nano <= 1_000_000 * NANO_PER_USD:
        errors["limit_usd"] = "Enter an amount above $0, at most $1,000,000."
        return None
    return nano


def set_budget(
    *,
    actor: Actor,
    scope: str,
    scope_id: str,
    period: str,
    limit_usd: Decimal | str | int | float | None,
    token_limit: int | None = None,
    session: Session,
) -> BudgetPublic:
    """Create or replace the budget of a scope for a period (one per scope and period).

    Args:
        actor: An owner or admin of the workspace.
        scope: ``"workspace"``, ``"agent"`` or ``"end_user"``.
        scope_id: The agent id, the end user's id, or the workspace id (may be ``""``).
        period: ``"day"`` or ``"month"`` (UTC).
        limit_usd: Spend cap in USD (> 0, at most $1,000,000), or None for a token cap only:
            a Decimal or text (``"0.50"``) as typed; a float is read as its shortest text.
            Stored as integer nano-USD, rounded half up.
        token_limit: Cap on prompt + completion tokens per period (> 0), or None. The only cap
            that binds models without a known price.

    Returns:
        The budget with its current period's figures. Spend already counted this period stays.

    Raises:
        LimitInputError: bad scope, period or amounts (per-field messages).
        NotFound: the agent or user is not in the workspace.
        PermissionDenied: the actor is not an owner or admin.
    """
    _require_manager(actor, session)
    scope_id = _check_scope(actor, scope, scope_id, session)
    errors: dict[str, str] = {}
    if period not in BUDGET_PERIODS:
        errors["period"] = "Choose per day or per month."
    limit_nano = _limit_nano(limit_usd, errors)
    if token_limit is not None and not 0 < token_limit <= 10**12:
        errors["token_limit"] = "Enter a positive number of tokens."  # noqa: S105  (a form field, not a secret)
    if limit_usd is None and token_limit is None:
        errors["limit_usd"] = "Enter a spend limit, a token limit or both."
    if errors:
        raise LimitInputError(errors)
    row = session.exec(
        select(Budget).where(
            Budget.workspace_id == actor.workspace_id,
            Budget.scope == scope,
            Budget.scope_id == scope_id,
            Budget.period == period,
        )
    ).first()
    if row is None:
        row = Budget(workspace_id=actor.workspace_id, scope=scope, scope_id=scope_id, period=period)
        row.created_by = actor.user_id
    row.limit_nano, row.token_limit, row.updated_at = limit_nano, token_limit, utcnow()
    session.add(row)
    session.flush()
    cap = f"${limit_usd}" if limit_usd is not None else "no spend cap"
    tokens = f", {token_limit:,} tokens" if token_limit is not None else ""
    _audit(session, actor, "budget_set", row.id, f"Set the {scope} budget per {period}: {cap}{tokens}")
    return _budget_public(row, session)


def list_budgets(
    *, actor: Actor, scope: str | None = None, scope_id: str | None = None, session: Session
) -> list[BudgetPublic]:
    """The workspace's budgets (optionally of one scope / scope id) with current figures.

    Raises:
        PermissionDenied: the actor is not a member.
    """
    require_member(actor, session)
    stmt = select(Budget).where(Budget.workspace_id == actor.workspace_id)
    if scope:
        stmt = stmt.where(Budget.scope == scope)
    if scope_id:
        stmt = stmt.where(Budget.scope_id == scope_id)
    rows = session.exec(stmt.order_by(col(Budget.scope), col(Budget.scope_id), col(Budget.period))).all()
    return [_budget_public(r, session) for r in rows]


def delete_budget(*, actor: Actor, budget_id: str, session: Session) -> None:
    """Delete a budget with its counters and holds. Raises NotFound, PermissionDenied."""
    _require_manager(actor, session)
    row = session.get(Budget, budget_id)
    if row is None or row.workspace_id != actor.workspace_id:
        raise NotFound("Budget not found.")
    _audit(session, actor, "budget_deleted", row.id, f"Deleted the {row.scope} budget per {row.period}")
    session.delete(row)
    session.flush()


def _rule_public(rule: RateLimitRule) -> RateLimitPublic:
    return RateLimitPublic(
        id=rule.id,
        scope=rule.scope,
        scope_id=rule.scope_id,
        requests_per_min=rule.requests_per_min,
        tokens_per_min=rule.tokens_per_min,
    )


def set_rate_limit(
    *,
    actor: Actor,
    scope: str,
    scope_id: str,
    requests_per_min: int | None,
    tokens_per_min: int | None = None,
    session: Session,
) -> RateLimitPublic:
    """Create or replace the rate limit of a scope (one rule per scope).

    Args:
        actor: An owner or admin of the workspace.
        scope, scope_id: As for :func:`set_budget`.
        requests_per_min: Calls admitted per moving 60 s window (1-100,000), or None.
        tokens_per_min: Prompt + completion tokens per minute (> 0), or None.

    Raises:
        LimitInputError, NotFound, PermissionDenied.
    """
    _require_manager(actor, session)
    scope_id = _check_scope(actor, scope, scope_id, session)
    errors: dict[str, str] = {}
    if requests_per_min is not None and not 0 < requests_per_min <= 100_000:
        errors["requests_per_min"] = "Enter between 1 and 100,000 requests per minute."
    if tokens_per_min is not None and not 0 < tokens_per_min <= 10**9:
        errors["tokens_per_min"] = "Enter a positive number of tokens per minute."
    if requests_per_min is None and tokens_per_min is None:
        errors["requests_per_min"] = "Enter a request limit, a token limit or both."
    if errors:
        raise LimitInputError(errors)
    row = session.exec(
        select(RateLimitRule).where(
            RateLimitRule.workspace_id == actor.workspace_id,
            RateLimitRule.scope == scope,
            RateLimitRule.scope_id == scope_id,
        )
    ).first()
    if row is None:
        row = RateLimitRule(workspace_id=actor.workspace_id, scope=scope, scope_id=scope_id)
    row.requests_per_min, row.tokens_per_min, row.updated_at = requests_per_min, tokens_per_min, utcnow()
    session.add(row)
    session.flush()
    _audit(
        session,
        actor,
        "rate_limit_set",
        row.id,
        f"Set the {scope} rate limit: {requests_per_min or '-'} requests, {tokens_per_min or '-'} tokens per minute",
    )
    return _rule_public(row)


def list_rate_limits(
    *, actor: Actor, scope: str | None = None, scope_id: str | None = None, session: Session
) -> list[RateLimitPublic]:
    """The workspace's rate-limit rules (optionally of one scope / scope id). Raises PermissionDenied."""
    require_member(actor, session)
    stmt = select(RateLimitRule).where(RateLimitRule.workspace_id == actor.workspace_id)
    if scope:
        stmt = stmt.where(RateLimitRule.scope == scope)
    if scope_id:
        stmt = stmt.where(RateLimitRule.scope_id == scope_id)
    rows = session.exec(stmt.order_by(col(RateLimitRule.scope), col(RateLimitRule.scope_id))).all()
    return [_rule_public(r) for r in rows]


def delete_rate_limit(*, actor: Actor, rule_id: str, session: Session) -> None:
    """Delete a rate-limit rule. Raises NotFound, PermissionDenied."""
    _require_manager(actor, session)
    row = session.get(RateLimitRule, rule_id)
    if row is None or row.workspace_id != actor.workspace_id:
        raise NotFound("Rate limit not found.")
    _audit(session, actor, "rate_limit_deleted", row.id, f"Deleted the {row.scope} rate limit")
    session.delete(row)
    session.flush()
