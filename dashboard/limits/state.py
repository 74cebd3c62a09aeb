"""One state mixin for budgets and rate limits, used by the settings page and the agent builder.

A page state inherits :class:`LimitsMixin` and says three things: which limits it shows
(:meth:`LimitsMixin._limits_filter`), what a new budget or rate limit applies to
(:meth:`LimitsMixin._budget_target` / :meth:`LimitsMixin._rate_target`), and optionally how a
saved limit is announced. The handlers re-check the signed-in user on every event and do their
database work in a thread, off the event loop that serves every user.
"""

from __future__ import annotations

import asyncio
from typing import Any

import reflex as rx

from backend.accounts.actor import Actor
from dashboard.limits.rows import (
    BudgetRow,
    LimitsSnapshot,
    RateLimitRow,
    load_snapshot,
    remove_budget,
    remove_rate_limit,
    save_budget,
    save_rate_limit,
)
from dashboard.shell.auth import signed_in

_BUDGET_FIELDS = ("limit_usd", "token_limit", "period")
_RATE_FIELDS = ("requests_per_min", "tokens_per_min")


class LimitsMixin(rx.State, mixin=True):
    """Vars and handlers of a "Limits & budgets" card (see :func:`dashboard.limits.card.limits_card`)."""

    can_manage: bool = False
    limits_loaded: bool = False
    limits_error: str = ""
    limits_notice: str = ""
    budgets: list[BudgetRow] = []
    rate_limits: list[RateLimitRow] = []
    budget_period: str = "day"
    budget_form_key: int = 0
    rate_form_key: int = 0
    limit_usd_error: str = ""
    token_limit_error: str = ""
    period_error: str = ""
    budget_form_error: str = ""
    requests_per_min_error: str = ""
    tokens_per_min_error: str = ""
    rate_form_error: str = ""

    # What the page shows and what new limits apply to (override in the page state).
    def _limits_filter(self) -> tuple[str | None, str | None]:
        """``(scope, scope_id)`` of the limits to show; ``(None, None)`` shows all of the workspace."""
        return None, None

    def _budget_target(self) -> str:
        """``"<scope>:<scope id>"`` a new budget applies to."""
        raise NotImplementedError

    def _rate_target(self) -> str:
        """``"<scope>:<scope id>"`` a new rate limit applies to."""
        raise NotImplementedError

    def _saved_notice(self, kind: str, target: str) -> str:
        """The notice after a save; ``kind`` is ``"Budget"`` or ``"Rate limit"``."""
        return f"{kind} set. It applies to the next reply."

    def _apply_snapshot(self, snapshot: LimitsSnapshot) -> None:
        """Copy freshly loaded rows into state (pages that keep more, e.g. scope names, extend this)."""
        self.budgets, self.rate_limits = snapshot.budgets, snapshot.rate_limits
        self.can_manage = snapshot.can_manage
        self.limits_loaded = True

    def _clear_limit_errors(self) -> None:
        for name in (*_BUDGET_FIELDS, *_RATE_FIELDS):
            setattr(self, f"{name}_error", "")
        self.budget_form_error = self.rate_form_error = ""
        self.limits_error = self.limits_notice = ""

    async def _refresh_limits(self, actor: Actor) -> None:
        scope, scope_id = self._limits_filter()
        self._apply_snapshot(await asyncio.to_thread(load_snapshot, actor, scope=scope, scope_id=scope_id))

    @rx.event
    def set_budget_period(self, value: str) -> None:
        """Pick the period of a new budget (``day`` or ``month``)."""
        self.budget_period = value

    @rx.event
    async def add_budget(self, form: dict[str, Any]):  # type: ignore[no-untyped-def]
        """Create or replace the budget of the chosen scope and period from the submitted form."""
        actor = await signed_in(self)
        self._clear_limit_errors()
        target = self._budget_target()
        errors = await asyncio.to_thread(save_budget, actor, target, self.budget_period, form)
        for name in _BUDGET_FIELDS:
            setattr(self, f"{name}_error", errors.get(name, ""))
        self.budget_form_error = errors.get("form", "") or errors.get("scope", "")
        if not errors:
            self.budget_form_key += 1
            self.limits_notice = self._saved_notice("Budget", target)
            await self._refresh_limits(actor)
        return None

    @rx.event
    async def add_rate_limit(self, form: dict[str, Any]):  # type: ignore[no-untyped-def]
        """Create or replace the rate limit of the chosen scope from the submitted form."""
        actor = await signed_in(self)
        self._clear_limit_errors()
        target = self._rate_target()
        errors = await asyncio.to_thread(save_rate_limit, actor, target, form)
        for name in _RATE_FIELDS:
            setattr(self, f"{name}_error", errors.get(name, ""))
        self.rate_form_error = errors.get("form", "") or errors.get("scope", "")
        if not errors:
            self.rate_form_key += 1
            self.limits_notice = self._saved_notice("Rate limit", target)
            await self._refresh_limits(actor)
        return None

    @rx.event
    async def delete_budget(self, budget_id: str):  # type: ignore[no-untyped-def]
        """Delete a budget (after the confirmation dialog)."""
        actor = await signed_in(self)
        self._clear_limit_errors()
        self.limits_error = await asyncio.to_thread(remove_budget, actor, budget_id)
        self.limits_notice = "" if self.limits_error else "Budget deleted."
        await self._refresh_limits(actor)
        return None

    @rx.event
    async def delete_rate_limit(self, rule_id: str):  # type: ignore[no-untyped-def]
        """Delete a rate limit (after the confirmation dialog)."""
        actor = await signed_in(self)
        self._clear_limit_errors()
        self.limits_error = await asyncio.to_thread(remove_rate_limit, actor, rule_id)
        self.limits_notice = "" if self.limits_error else "Rate limit deleted."
        await self._refresh_limits(actor)
        return None
