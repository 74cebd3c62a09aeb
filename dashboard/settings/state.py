"""State of the workspace settings page: budgets, rate limits and usage totals.

Only plain rows live in state; every mutating handler re-checks the signed-in user and calls
:mod:`backend.gateway.admin` through the stateless helpers of ``limit_rows``.
"""

from __future__ import annotations

from typing import Any

import reflex as rx

from backend.accounts.actor import Actor, PermissionDenied
from backend.db import session_scope
from backend.gateway.admin import can_manage_limits
from dashboard.settings.limit_rows import (
    WORKSPACE_SCOPE,
    BudgetRow,
    RateLimitRow,
    ScopeOption,
    load_limits,
    remove_budget,
    remove_rate_limit,
    save_budget,
    save_rate_limit,
    scope_names,
    scope_options,
)
from dashboard.settings.usage_rows import GROUPS, RANGES, UsageRow, load_usage
from dashboard.shell.auth import require_actor


class SettingsState(rx.State):
    """``/settings``: the workspace's Limits & budgets panel and its Usage panel."""

    loaded: bool = False
    can_manage: bool = False
    page_error: str = ""
    notice: str = ""
    budgets: list[BudgetRow] = []
    rate_limits: list[RateLimitRow] = []
    scopes: list[ScopeOption] = []
    budget_scope: str = WORKSPACE_SCOPE
    budget_period: str = "day"
    rate_scope: str = WORKSPACE_SCOPE
    budget_form_key: int = 0
    rate_form_key: int = 0
    limit_usd_error: str = ""
    token_limit_error: str = ""
    period_error: str = ""
    budget_form_error: str = ""
    requests_error: str = ""
    tokens_error: str = ""
    rate_form_error: str = ""
    usage_days: str = "7"
    usage_group: str = "agent"
    usage_rows: list[UsageRow] = []
    usage_total: UsageRow = UsageRow()
    usage_loading: bool = False
    _names: dict[str, str] = {}

    @rx.var
    def usage_key_header(self) -> str:
        """Header of the usage table's first column ("Agent", "Model", "Day (UTC)", "End user")."""
        return GROUPS.get(self.usage_group, "Agent")

    @rx.var
    def usage_range_label(self) -> str:
        """``"Last 7 days"`` or ``"Last 30 days"``."""
        return RANGES.get(self.usage_days, "Last 7 days")

    def _clear_errors(self) -> None:
        self.limit_usd_error = self.token_limit_error = self.period_error = self.budget_form_error = ""
        self.requests_error = self.tokens_error = self.rate_form_error = ""

    def _refresh(self, actor: Actor) -> None:
        self._names = scope_names(actor)
        self.scopes = scope_options(self._names)
        if self.budget_scope not in self._names:
            self.budget_scope = WORKSPACE_SCOPE
        if self.rate_scope not in self._names:
            self.rate_scope = WORKSPACE_SCOPE
        self.budgets, self.rate_limits = load_limits(actor, self._names)
        with session_scope() as session:
            self.can_manage = can_manage_limits(actor=actor, session=session)

    def _refresh_usage(self, actor: Actor) -> None:
        self.usage_rows, self.usage_total = load_usage(
            actor, days=int(self.usage_days), group=self.usage_group, names=self._names
        )

    @rx.event
    async def load(self):  # type: ignore[no-untyped-def]
        """``on_load``: limits, budgets and the last 7 days of usage by agent."""
        actor = await require_actor(self)
        if actor is None:
            return rx.redirect("/signin")
        self.notice = self.page_error = ""
        self._clear_errors()
        try:
            self._refresh(actor)
            self._refresh_usage(actor)
        except PermissionDenied as exc:
            self.page_error = str(exc)
        self.loaded = True
        return None

    @rx.event
    def set_budget_scope(self, value: str) -> None:
        """Pick what a new budget applies to."""
        self.budget_scope = value

    @rx.event
    def set_budget_period(self, value: str) -> None:
        """Pick the budget period (day or month)."""
        self.budget_period = value

    @rx.event
    def set_rate_scope(self, value: str) -> None:
        """Pick what a new rate limit applies to."""
        self.rate_scope = value

    @rx.event
    async def add_budget(self, form: dict[str, Any]):  # type: ignore[no-untyped-def]
        """Create or replace the budget of the chosen scope and period."""
        actor = await require_actor(self)
        if actor is None:
            return rx.redirect("/signin")
        self._clear_errors()
        self.notice = self.page_error = ""
        errors = save_budget(actor, self.budget_scope, self.budget_period, form)
        self.limit_usd_error = errors.get("limit_usd", "")
        self.token_limit_error = errors.get("token_limit", "")
        self.period_error = errors.get("period", "")
        self.budget_form_error = errors.get("form", "") or errors.get("scope", "")
        if errors:
            return None
        self.budget_form_key += 1
        self.notice = f"Budget set · {self._names.get(self.budget_scope, 'Whole workspace')}."
        self._refresh(actor)
        return None

    @rx.event
    async def add_rate_limit(self, form: dict[str, Any]):  # type: ignore[no-untyped-def]
        """Create or replace the rate limit of the chosen scope."""
        actor = await require_actor(self)
        if actor is None:
            return rx.redirect("/signin")
        self._clear_errors()
        self.notice = self.page_error = ""
        errors = save_rate_limit(actor, self.rate_scope, form)
        self.requests_error = errors.get("requests_per_min", "")
        self.tokens_error = errors.get("tokens_per_min", "")
        self.rate_form_error = errors.get("form", "") or errors.get("scope", "")
        if errors:
            return None
        self.rate_form_key += 1
        self.notice = f"Rate limit set · {self._names.get(self.rate_scope, 'Whole workspace')}."
        self._refresh(actor)
        return None

    @rx.event
    async def delete_budget(self, budget_id: str):  # type: ignore[no-untyped-def]
        """Delete a budget (after the confirmation dialog)."""
        actor = await require_actor(self)
        if actor is None:
            return rx.redirect("/signin")
        self._clear_errors()
        self.page_error = remove_budget(actor, budget_id)
        self.notice = "" if self.page_error else "Budget deleted."
        self._refresh(actor)
        return None

    @rx.event
    async def delete_rate_limit(self, rule_id: str):  # type: ignore[no-untyped-def]
        """Delete a rate limit (after the confirmation dialog)."""
        actor = await require_actor(self)
        if actor is None:
            return rx.redirect("/signin")
        self._clear_errors()
        self.page_error = remove_rate_limit(actor, rule_id)
        self.notice = "" if self.page_error else "Rate limit deleted."
        self._refresh(actor)
        return None

    @rx.event
    async def set_usage_days(self, value: str):  # type: ignore[no-untyped-def]
        """Switch the usage range (7 or 30 days) and reload the totals."""
        if value in RANGES:
            self.usage_days = value
        return await self._reload_usage()

    @rx.event
    async def set_usage_group(self, value: str):  # type: ignore[no-untyped-def]
        """Group the usage totals by agent, model, day or end user and reload them."""
        if value in GROUPS:
            self.usage_group = value
        return await self._reload_usage()

    async def _reload_usage(self):  # type: ignore[no-untyped-def]
        actor = await require_actor(self)
        if actor is None:
            return rx.redirect("/signin")
        try:
            self._refresh_usage(actor)
        except PermissionDenied as exc:
            self.page_error = str(exc)
        return None
