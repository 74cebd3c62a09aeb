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
from dashboard.limits.pricing import UnpricedModel, save_prices, unpriced_models
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
from dashboard.shell.forms import parse_number

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
    # A dollar budget meeting models without a price: the prompt for their prices (or a token cap)
    price_needed: list[UnpricedModel] = []
    price_error: str = ""
    price_form_key: int = 0
    _pending_budget: dict[str, str] = {}  # target, period, limit_usd, token_limit as typed

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
        self.budget_form_error = self.rate_form_error = self.price_error = ""
        self.limits_error = self.limits_notice = ""

    async def _refresh_limits(self, actor: Actor) -> None:
        scope, scope_id = self._limits_filter()
        self._apply_snapshot(await asyncio.to_thread(load_snapshot, actor, scope=scope, scope_id=scope_id))

    @rx.event
    def set_budget_period(self, value: str) -> None:
        """Pick the period of a new budget (``day`` or ``month``)."""
        self.budget_period = value

    async def _needs_prices(self, actor: Actor, target: str, form: dict[str, Any]) -> bool:
        """A dollar limit on a scope running models without a price: open the price prompt."""
        limit = parse_number(form, "limit_usd", float, "", {})
        unpriced = await asyncio.to_thread(unpriced_models, actor, target) if limit else []
        self.price_needed = unpriced
        if unpriced:
            keep = {key: str(form.get(key, "") or "") for key in ("limit_usd", "token_limit")}
            self._pending_budget = {"target": target, "period": self.budget_period, **keep}
            self.price_form_key += 1
        return bool(unpriced)

    async def _save_budget(self, actor: Actor, target: str, period: str, form: dict[str, Any]) -> bool:
        """Save a budget; field errors go under the budget form. True when saved."""
        errors = await asyncio.to_thread(save_budget, actor, target, period, form)
        for name in _BUDGET_FIELDS:
            setattr(self, f"{name}_error", errors.get(name, ""))
        self.budget_form_error = errors.get("form", "") or errors.get("scope", "")
        if errors:
            return False
        self.budget_form_key += 1
        self.limits_notice = self._saved_notice("Budget", target)
        await self._refresh_limits(actor)
        return True

    @rx.event
    async def add_budget(self, form: dict[str, Any]):  # type: ignore[no-untyped-def]
        """Create or replace the budget of the chosen scope and period from the submitted form.

        A dollar limit on a scope whose models include one without a known price is not saved
        yet: the card asks for those prices (or a token cap) first; the typed values stay.
        """
        actor = await signed_in(self)
        self._clear_limit_errors()
        target = self._budget_target()
        if await self._needs_prices(actor, target, form):
            return None
        await self._save_budget(actor, target, self.budget_period, form)
        return None

    @rx.event
    async def save_prices_and_budget(self, form: dict[str, Any]):  # type: ignore[no-untyped-def]
        """Price prompt: save the typed prices on the connections' catalogs, then the budget."""
        actor = await signed_in(self)
        pending = dict(self._pending_budget)
        if not pending or not self.price_needed:
            self.price_needed = []
            return None
        self.price_error = await asyncio.to_thread(save_prices, actor, self.price_needed, form)
        if self.price_error:
            return None
        self.price_needed, self._pending_budget = [], {}
        await self._save_budget(actor, pending["target"], pending["period"], pending)
        return None

    @rx.event
    async def use_token_cap(self, form: dict[str, Any]):  # type: ignore[no-untyped-def]
        """Price prompt: set a token cap (which binds models without a price) instead of dollars."""
        actor = await signed_in(self)
        pending = dict(self._pending_budget)
        if not pending:
            self.price_needed = []
            return None
        cap = str(form.get("token_cap", "") or "").strip()
        errors = {"token_limit": "Enter a whole number of tokens, e.g. 200000."}
        if cap:
            errors = await asyncio.to_thread(
                save_budget, actor, pending["target"], pending["period"], {"token_limit": cap}
            )
        if errors:
            self.price_error = next(iter(errors.values()))
            return None
        self.price_needed, self._pending_budget, self.price_error = [], {}, ""
        self.budget_form_key += 1
        self.limits_notice = "Token cap set. It applies to the next reply; no dollar limit was set."
        await self._refresh_limits(actor)
        return None

    @rx.event
    def cancel_prices(self) -> None:
        """Price prompt: close it without saving (the budget form keeps what was typed)."""
        self.price_needed, self._pending_budget, self.price_error = [], {}, ""

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
