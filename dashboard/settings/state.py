"""State of the workspace settings page: budgets, rate limits and usage totals.

Only plain rows live in state. The limits handlers come from :class:`LimitsMixin` (shared with
the agent builder); this state adds the "applies to" choices and the usage panel.
"""

from __future__ import annotations

import asyncio

import reflex as rx

from backend.accounts.actor import PermissionDenied
from dashboard.limits.rows import WORKSPACE_SCOPE, LimitsSnapshot, ScopeOption, scope_options
from dashboard.limits.state import LimitsMixin
from dashboard.settings.usage_rows import GROUPS, RANGES, UsageRow, load_usage
from dashboard.shell.auth import signed_in


class SettingsState(LimitsMixin, rx.State):
    """``/settings``: the workspace's Limits & budgets panel and its Usage panel."""

    loaded: bool = False
    page_error: str = ""
    notice: str = ""
    scopes: list[ScopeOption] = []
    budget_scope: str = WORKSPACE_SCOPE
    rate_scope: str = WORKSPACE_SCOPE
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

    def _budget_target(self) -> str:
        return self.budget_scope

    def _rate_target(self) -> str:
        return self.rate_scope

    def _saved_notice(self, kind: str, target: str) -> str:
        return f"{kind} set · {self._names.get(target, 'Whole workspace')}."

    def _apply_snapshot(self, snapshot: LimitsSnapshot) -> None:
        super()._apply_snapshot(snapshot)
        self._names = snapshot.names
        self.scopes = scope_options(snapshot.names)
        if self.budget_scope not in self._names:
            self.budget_scope = WORKSPACE_SCOPE
        if self.rate_scope not in self._names:
            self.rate_scope = WORKSPACE_SCOPE

    async def _refresh_usage(self, actor) -> None:  # type: ignore[no-untyped-def]
        self.usage_rows, self.usage_total = await asyncio.to_thread(
            load_usage, actor, days=int(self.usage_days), group=self.usage_group, names=self._names
        )

    @rx.event
    async def load(self):  # type: ignore[no-untyped-def]
        """``on_load``: limits, budgets and the last 7 days of usage by agent."""
        actor = await signed_in(self)
        self.notice = self.page_error = ""
        self._clear_limit_errors()
        try:
            await self._refresh_limits(actor)
            await self._refresh_usage(actor)
        except PermissionDenied as exc:
            self.page_error = str(exc)
        self.loaded = True
        return None

    @rx.event
    def set_budget_scope(self, value: str) -> None:
        """Pick what a new budget applies to."""
        self.budget_scope = value

    @rx.event
    def set_rate_scope(self, value: str) -> None:
        """Pick what a new rate limit applies to."""
        self.rate_scope = value

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
        actor = await signed_in(self)
        try:
            await self._refresh_usage(actor)
        except PermissionDenied as exc:
            self.page_error = str(exc)
        return None
