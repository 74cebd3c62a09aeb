"""Why a budget refuses a call, in words a user understands.

Two cases are told apart: the budget is **spent** ("spent: $X of $Y used") or this call's
**worst case** does not fit in what is left ("it could cost up to $X and only $Y is left"); the
same for token caps. A dollar budget also refuses a call to a model without a known price
(:class:`UnpricedModel`): counting it as $0 would let the budget never bind.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import TYPE_CHECKING

from backend.gateway.llm import GatewayError
from backend.models.common import utcnow
from backend.models.gateway import NANO_PER_USD, BudgetCounter

if TYPE_CHECKING:
    from backend.gateway.budgets import BudgetRef

_SCOPE_WORDS = {
    "workspace": "This workspace's",
    "agent": "This agent's",
    "end_user": "Your",
    "api_key": "This API key's",
}
REFUSAL_PHRASES = ("budget is spent", "budget would not cover this call", "budget is in dollars")
"""Every budget refusal's message contains one of these (a page can tell them from other errors)."""


class BudgetExceeded(GatewayError):
    """A call was refused because a budget would be exceeded (kind ``"budget"``).

    Attributes:
        budget_id, scope, scope_id, period: The budget that tripped.
        resets_at: Start of the next period (UTC), when the budget is available again.
    """

    def __init__(self, message: str, budget: BudgetRef, resets_at: datetime) -> None:
        super().__init__("budget", message, None, max(0.0, (resets_at - utcnow()).total_seconds()))
        self.budget_id, self.scope, self.scope_id, self.period = budget.id, budget.scope, budget.scope_id, budget.period
        self.resets_at = resets_at


def _money(nanousd: int) -> str:
    """``$12.50``, ``$0.50``, ``$0.0006``, ``$0.00001``, ``$0`` (down to one nano-dollar)."""
    if nanousd >= NANO_PER_USD:
        return f"${nanousd / NANO_PER_USD:,.2f}"
    if nanousd <= 0:
        return "$0"
    digits = f"{nanousd:09d}".rstrip("0")
    return f"$0.{digits.ljust(2, '0')}"


def _shortfall(budget: BudgetRef, row: BudgetCounter | None, amount: int, tokens: int) -> str:
    """What stops the call: a cap already used up, or this call's worst case above what is left."""
    spent, held = (row.spent_nanousd, row.reserved_nanousd) if row else (0, 0)
    spent_tokens, held_tokens = (row.spent_tokens, row.reserved_tokens) if row else (0, 0)
    money = budget.limit_nano is not None and spent + held + amount > budget.limit_nano
    if money and budget.limit_nano is not None:
        limit = budget.limit_nano
        if spent >= limit:
            return f"is spent: {_money(spent)} of {_money(limit)} used"
        in_progress = f", {_money(held)} held by replies in progress" if held else ""
        left = max(0, limit - spent - held)
        return (
            f"would not cover this call: it could cost up to {_money(amount)} and only {_money(left)} is left "
            f"({_money(spent)} of {_money(limit)} spent{in_progress})"
        )
    limit_tokens = budget.token_limit or 0
    if spent_tokens >= limit_tokens:
        return f"is spent: {spent_tokens:,} of {limit_tokens:,} tokens used"
    left_tokens = max(0, limit_tokens - spent_tokens - held_tokens)
    return (
        f"would not cover this call: it could use up to {tokens:,} tokens and only {left_tokens:,} are left "
        f"({spent_tokens:,} of {limit_tokens:,} used, {held_tokens:,} held by replies in progress)"
    )


def exceeded(budget: BudgetRef, row: BudgetCounter | None, amount: int, tokens: int, end: datetime) -> BudgetExceeded:
    """The refusal: "spent: $X of $Y used" when the cap is used up, "this call could cost up to
    $X and only $Y is left" when only this call's worst case does not fit (the same for tokens)."""
    when = "daily" if budget.period == "day" else "monthly"
    left = end - utcnow()
    hours, minutes = int(left.total_seconds() // 3600), int(left.total_seconds() % 3600 // 60)
    message = (
        f"{_SCOPE_WORDS.get(budget.scope, 'A')} {when} budget {_shortfall(budget, row, amount, tokens)}. "
        f"It resets at {end:%Y-%m-%d %H:%M} UTC (in {hours} h {minutes} min)."
    )
    return BudgetExceeded(message, budget, end)


class UnpricedModel(GatewayError):
    """A call refused because a dollar budget applies and the model's price is unknown (kind
    ``"budget"``): counting it as $0 would let the budget never bind.

    Attributes:
        budget_id, scope, period: The first dollar budget that applies.
        model: The model without a price.
    """

    def __init__(self, budget: BudgetRef, model: str) -> None:
        when = "daily" if budget.period == "day" else "monthly"
        owner = _SCOPE_WORDS.get(budget.scope, "A")
        message = (
            f"{owner} {when} budget is in dollars, but the price of {model} on this connection is unknown, "
            "so the budget cannot be kept. Set the model's price on the connection, "
            "or use a token cap instead of a dollar amount."
        )
        super().__init__("budget", message)
        self.budget_id, self.scope, self.period, self.model = budget.id, budget.scope, budget.period, model


def require_price(budgets: Sequence[BudgetRef], *, priced: bool, model: str) -> None:
    """Refuse a call to a model without a known price when a dollar budget applies.

    Args:
        budgets: The budgets that apply to the call (:func:`applicable_budgets`).
        priced: Whether the model has a known price (``catalog.ModelInfo.priced``).
        model: The model's name, for the message.

    Raises:
        UnpricedModel: ``priced`` is False and one of ``budgets`` has a dollar cap. Token caps
            alone never refuse here: they bind every model.
    """
    if priced:
        return
    for budget in budgets:
        if budget.limit_nano is not None:
            raise UnpricedModel(budget, model)
