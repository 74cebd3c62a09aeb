"""State of the agent's "Limits & budgets" section on ``/agents/<id>``: its budgets and rate limits.

Kept apart from the blueprint form: limits are not versioned with the blueprint and apply at
once. The section loads itself when it mounts, for the agent the builder shows.
"""

from __future__ import annotations

from typing import Any

import reflex as rx

from backend.accounts.actor import Actor, PermissionDenied
from backend.db import session_scope
from backend.gateway.admin import can_manage_limits
from dashboard.settings.limit_rows import (
    BudgetRow,
    RateLimitRow,
    load_limits,
    remove_budget,
    remove_rate_limit,
    save_budget,
    save_rate_limit,
    scope_names,
)
from dashboard.shell.auth import require_actor


class AgentLimitsState(rx.State):
    """Budgets and rate limits whose scope is the agent open in the builder."""

    agent_id: str = ""
    loaded: bool = False
    can_manage: bool = False
    error: str = ""
    notice: str = ""
    budgets: list[BudgetRow] = []
    rate_limits: list[RateLimitRow] = []
    period: str = "day"
    budget_form_key: int = 0
    rate_form_key: int = 0
    limit_usd_error: str = ""
    token_limit_error: str = ""
    period_error: str = ""
    budget_form_error: str = ""
    requests_error: str = ""
    tokens_error: str = ""
    rate_form_error: str = ""

    def _scope(self) -> str:
        return f"agent:{self.agent_id}"

    def _clear(self) -> None:
        self.limit_usd_error = self.token_limit_error = self.period_error = self.budget_form_error = ""
        self.requests_error = self.tokens_error = self.rate_form_error = ""
        self.error = self.notice = ""

    def _refresh(self, actor: Actor) -> None:
        names = scope_names(actor)
        self.budgets, self.rate_limits = load_limits(actor, names, scope="agent", scope_id=self.agent_id)
        with session_scope() as session:
            self.can_manage = can_manage_limits(actor=actor, session=session)

    @rx.event
    async def load(self, agent_id: str):  # type: ignore[no-untyped-def]
        """On mount: the budgets and rate limits of the agent ``agent_id``."""
        actor = await require_actor(self)
        if actor is None:
            return rx.redirect("/signin")
        self._clear()
        self.agent_id = agent_id
        self.budgets, self.rate_limits, self.loaded = [], [], False
        if not agent_id or agent_id == "new":
            return None
        try:
            self._refresh(actor)
        except PermissionDenied as exc:
            self.error = str(exc)
        self.loaded = True
        return None

    @rx.event
    def set_period(self, value: str) -> None:
        """Pick the period of a new budget (day or month)."""
        self.period = value

    @rx.event
    async def add_budget(self, form: dict[str, Any]):  # type: ignore[no-untyped-def]
        """Create or replace this agent's budget for the chosen period."""
        actor = await require_actor(self)
        if actor is None:
            return rx.redirect("/signin")
        self._clear()
        errors = save_budget(actor, self._scope(), self.period, form)
        self.limit_usd_error = errors.get("limit_usd", "")
        self.token_limit_error = errors.get("token_limit", "")
        self.period_error = errors.get("period", "")
        self.budget_form_error = errors.get("form", "") or errors.get("scope", "")
        if not errors:
            self.budget_form_key += 1
            self.notice = "Budget set. It applies to the next reply."
            self._refresh(actor)
        return None

    @rx.event
    async def add_rate_limit(self, form: dict[str, Any]):  # type: ignore[no-untyped-def]
        """Create or replace this agent's rate limit."""
        actor = await require_actor(self)
        if actor is None:
            return rx.redirect("/signin")
        self._clear()
        errors = save_rate_limit(actor, self._scope(), form)
        self.requests_error = errors.get("requests_per_min", "")
        self.tokens_error = errors.get("tokens_per_min", "")
        self.rate_form_error = errors.get("form", "") or errors.get("scope", "")
        if not errors:
            self.rate_form_key += 1
            self.notice = "Rate limit set. It applies to the next reply."
            self._refresh(actor)
        return None

    @rx.event
    async def delete_budget(self, budget_id: str):  # type: ignore[no-untyped-def]
        """Delete one of this agent's budgets (after the confirmation dialog)."""
        actor = await require_actor(self)
        if actor is None:
            return rx.redirect("/signin")
        self._clear()
        self.error = remove_budget(actor, budget_id)
        self.notice = "" if self.error else "Budget deleted."
        self._refresh(actor)
        return None

    @rx.event
    async def delete_rate_limit(self, rule_id: str):  # type: ignore[no-untyped-def]
        """Delete this agent's rate limit (after the confirmation dialog)."""
        actor = await require_actor(self)
        if actor is None:
            return rx.redirect("/signin")
        self._clear()
        self.error = remove_rate_limit(actor, rule_id)
        self.notice = "" if self.error else "Rate limit deleted."
        self._refresh(actor)
        return None
