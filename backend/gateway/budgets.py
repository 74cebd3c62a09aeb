"""Budgets that never overshoot: reserve the worst case before a call, settle to the actual cost.

A call reserves its worst case (counted prompt tokens + max output tokens at the model's
prices) on the current period's counter of every budget that applies to it (workspace, agent,
end user; day and month) with one conditional ``UPDATE`` per counter::

    UPDATE budget_counters SET reserved_nanousd = reserved_nanousd + :amount, ...
    WHERE id = :counter AND spent_nanousd + reserved_nanousd + :amount <= :limit
                         AND spent_tokens + reserved_tokens + :tokens <= :token_limit

and checks ``rowcount``: 0 means the budget would be exceeded, and the whole transaction
(every counter of this call) rolls back. The database serialises the updates (PostgreSQL row
locks, re-evaluated under READ COMMITTED; SQLite's single writer), so concurrent calls can
never hold more than the limit together. Counters are updated in id order so two calls never
deadlock. Money is exact integer nano-USD.

After the call :func:`settle` releases the hold (deleting its rows) and adds the actual cost,
in the caller's transaction (the one that writes the usage record). A hold left by a crashed process expires
after ``budget_hold_ttl_s``; :func:`release_expired` gives its money back (it runs by itself
whenever a reservation is refused, and can run from a worker).
"""

from __future__ import annotations

import math
import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy import (
    BigInteger,
    ColumnElement,
    Select,
    Update,
    and_,
    bindparam,
    delete,
    insert,
    or_,
    select,
    text,
    update,
)
from sqlalchemy.exc import IntegrityError
from sqlmodel import Session, col

from backend.db import session_scope
from backend.gateway.llm import GatewayError
from backend.models.common import new_id, utcnow
from backend.models.gateway import NANO_PER_USD, UNSETTLED_SQL, Budget, BudgetCounter, BudgetReservation

_COUNTER_NS = uuid.UUID("6f1d2a0e-5b7c-4c1e-9a57-3f0b9e8d4a21")
_SCOPE_WORDS = {"workspace": "This workspace's", "agent": "This agent's", "end_user": "Your"}
REFUSAL_PHRASES = ("budget is spent", "budget would not cover this call", "budget is in dollars")
"""Every budget refusal's message contains one of these (a page can tell them from other errors)."""


def to_nano(usd: float, *, up: bool = False) -> int:
    """USD to integer nano-USD; ``up=True`` rounds up (holds never under-reserve)."""
    value = round(usd * NANO_PER_USD, 3)
    return math.ceil(value) if up else round(value)


def period_bounds(period: str, now: datetime) -> tuple[datetime, datetime]:
    """``(start, end)`` in UTC of the ``"day"`` or ``"month"`` containing ``now``.

    Raises:
        ValueError: unknown period.
    """
    now = now.astimezone(UTC)
    if period == "day":
        start = now.replace(hour=0, minute=0, second=0, microsecond=0)
        return start, start + timedelta(days=1)
    if period == "month":
        start = now.replace(day=1, hour=0, minute=0, second=0, microsecond=0)
        end = start.replace(year=start.year + 1, month=1) if start.month == 12 else start.replace(month=start.month + 1)
        return start, end
    raise ValueError(f"Unknown budget period {period!r}; expected 'day' or 'month'.")


def counter_id(budget_id: str, period_start: datetime) -> str:
    """Deterministic id of a budget's counter for the period starting at ``period_start``."""
    return uuid.uuid5(_COUNTER_NS, f"{budget_id}:{period_start.astimezone(UTC).isoformat()}").hex


@dataclass(frozen=True)
class BudgetRef:
    """What a reservation needs to know about a budget (read before the call)."""

    id: str
    scope: str
    scope_id: str
    period: str
    limit_nano: int | None
    token_limit: int | None


@dataclass(frozen=True)
class Hold:
    """Money and tokens reserved for one call on ``counter_ids`` (see :func:`settle`)."""

    id: str
    counter_ids: tuple[str, ...]
    amount_nanousd: int
    tokens: int


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


def _budgets_statement() -> Select[Any]:
    b = _BUDGETS
    return select(b.id, b.scope, b.scope_id, b.period, b.limit_nano, b.token_limit).where(
        b.workspace_id == bindparam("ws"),
        or_(
            and_(b.scope == "workspace", b.scope_id == bindparam("ws")),
            and_(b.scope == "agent", b.scope_id == bindparam("agent")),
            and_(b.scope == "end_user", b.scope_id == bindparam("end_user")),
        ),
    )


_BUDGETS = Budget.__table__.c  # type: ignore[attr-defined]
_COUNTERS = BudgetCounter.__table__  # type: ignore[attr-defined]
_HOLDS = BudgetReservation.__table__  # type: ignore[attr-defined]
_APPLICABLE = _budgets_statement()  # the hot path's statements are built once (see also _hold_statement)


def applicable_budgets(
    session: Session, *, workspace_id: str, agent_id: str | None, end_user_id: str | None
) -> list[BudgetRef]:
    """Budgets of the workspace that bind a call by ``agent_id`` for ``end_user_id``.

    A prebuilt Core statement on the session's connection (every gateway call runs it).
    """
    params = {"ws": workspace_id, "agent": agent_id or "", "end_user": end_user_id or ""}
    return [BudgetRef(*row) for row in session.connection().execute(_APPLICABLE, params)]


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


def _exceeded(budget: BudgetRef, row: BudgetCounter | None, amount: int, tokens: int, end: datetime) -> BudgetExceeded:
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


class _Missing(Exception):
    def __init__(self, counter: str, budget: BudgetRef, start: datetime) -> None:
        super().__init__(counter)
        self.counter, self.budget, self.start = counter, budget, start


class _Tripped(Exception):
    def __init__(self, error: BudgetExceeded) -> None:
        super().__init__(error.message)
        self.error = error


def _create_counter(counter: str, budget: BudgetRef, start: datetime) -> None:
    try:
        with session_scope() as session:
            session.add(BudgetCounter(id=counter, budget_id=budget.id, period_start=start))
    except IntegrityError:
        pass  # created concurrently by another call: fine


class ReserveConflict(Exception):
    """:func:`reserve` in a caller's session could not complete in one go (a counter of this
    period does not exist yet, or a budget is full and expired holds may free it): roll the
    caller's transaction back and call :func:`reserve` without a session."""


def _targets(budgets: Sequence[BudgetRef], now: datetime) -> list[tuple[str, BudgetRef, datetime, datetime]]:
    """``(counter id, budget, period start, period end)`` per budget, in counter-id order (no deadlock)."""
    targets = []
    for budget in budgets:
        start, end = period_bounds(budget.period, now)
        targets.append((counter_id(budget.id, start), budget, start, end))
    targets.sort(key=lambda t: t[0])
    return targets


def _hold_statement(money: bool, tokens: bool) -> Update:
    """The conditional UPDATE of one counter: with the dollar and/or the token condition."""
    c = _COUNTERS.c
    amount, toks = bindparam("amount", type_=BigInteger), bindparam("tokens", type_=BigInteger)
    where: list[ColumnElement[bool]] = [c.id == bindparam("counter")]
    if money:
        where.append(c.spent_nanousd + c.reserved_nanousd + amount <= bindparam("limit", type_=BigInteger))
    if tokens:
        where.append(c.spent_tokens + c.reserved_tokens + toks <= bindparam("token_limit", type_=BigInteger))
    return (
        update(_COUNTERS)
        .where(*where)
        .values(reserved_nanousd=c.reserved_nanousd + amount, reserved_tokens=c.reserved_tokens + toks)
    )


_HOLD = {(money, tokens): _hold_statement(money, tokens) for money in (False, True) for tokens in (False, True)}
_INSERT_HOLD = insert(_HOLDS)


def _hold_on(
    session: Session,
    targets: list[tuple[str, BudgetRef, datetime, datetime]],
    hold: Hold,
    *,
    now: datetime,
    expires: datetime,
    run_id: str | None,
) -> None:
    """One conditional UPDATE per counter, then the reservation rows (prebuilt Core statements)."""
    amount, tokens = hold.amount_nanousd, hold.tokens
    conn = session.connection()
    for counter, budget, start, end in targets:
        params = {
            "counter": counter,
            "amount": amount,
            "tokens": tokens,
            "limit": budget.limit_nano,
            "token_limit": budget.token_limit,
        }
        statement = _HOLD[(budget.limit_nano is not None, budget.token_limit is not None)]
        if conn.execute(statement, params).rowcount == 0:
            row = session.get(BudgetCounter, counter)
            if row is None:
                raise _Missing(counter, budget, start)
            raise _Tripped(_exceeded(budget, row, amount, tokens, end))
    conn.execute(
        _INSERT_HOLD,
        [
            {
                "id": new_id(),
                "hold_id": hold.id,
                "counter_id": counter,
                "amount_nanousd": amount,
                "tokens": tokens,
                "expires_at": expires,
                "settled": False,
                "expired": False,
                "created_at": now,
                "run_id": run_id,
            }
            for counter in hold.counter_ids
        ],
    )


def reserve(
    budgets: Sequence[BudgetRef],
    *,
    usd: float,
    tokens: int,
    ttl_s: int,
    now: datetime | None = None,
    run_id: str | None = None,
    session: Session | None = None,
) -> Hold | None:
    """Reserve a call's worst case on every budget, all or nothing.

    Args:
        budgets: The budgets that apply (:func:`applicable_budgets`).
        usd: Worst-case cost, USD (0.0 when the model has no known price: only token caps bind).
        tokens: Worst-case prompt + completion tokens.
        ttl_s: Seconds until the hold expires if never settled (a crash).
        now: Current time (tests).
        run_id: The run making the call, stored on the reservations so the stale-run sweep can
            release the holds of a crashed run at once.
        session: Reserve inside the caller's open transaction (the gateway's plan transaction:
            one transaction instead of two). Then a missing counter or a full budget raises
            :class:`ReserveConflict` instead of being handled here.

    Returns:
        The :class:`Hold` to settle, or None when no budget applies.

    Raises:
        BudgetExceeded: a budget cannot hold this call (the message says which, how much is
            used and when it resets); nothing was reserved.
        ReserveConflict: only with ``session``: the caller must roll back and retry without it.
    """
    if not budgets:
        return None
    now = now or utcnow()
    targets = _targets(budgets, now)
    hold = Hold(uuid.uuid4().hex, tuple(t[0] for t in targets), to_nano(usd, up=True), tokens)
    expires = now + timedelta(seconds=ttl_s)
    if session is not None:
        try:
            _hold_on(session, targets, hold, now=now, expires=expires, run_id=run_id)
        except (_Missing, _Tripped) as exc:
            raise ReserveConflict(str(exc)) from None
        return hold
    swept = False
    for _ in range(len(targets) + 2):
        try:
            with session_scope() as own:
                _hold_on(own, targets, hold, now=now, expires=expires, run_id=run_id)
            return hold
        except _Missing as missing:
            _create_counter(missing.counter, missing.budget, missing.start)
        except _Tripped as tripped:
            if swept or release_expired(now=now) == 0:
                raise tripped.error from None
            swept = True
    raise GatewayError("provider", "The budget could not be checked; try again.")


def settle(session: Session, hold: Hold | None, *, nano_usd: int, tokens: int) -> None:
    """Release ``hold`` and add the actual cost, in the caller's transaction.

    The hold's reservation rows are deleted (pruned: nothing reads settled holds), so settling
    twice is harmless (the hold is released once); a hold that already expired only adds the
    actual cost. The actual cost is added even if it exceeds the hold (the money was
    spent; the record must be true).

    Args:
        session: The open session (commit is the caller's).
        hold: From :func:`reserve`; None does nothing.
        nano_usd: Actual cost, nano-USD (the usage record's ``cost_nano_usd``).
        tokens: Actual prompt + completion tokens.
    """
    if hold is None:
        return
    conn = session.connection()
    released = conn.execute(_DELETE_HOLD, {"hold_id": hold.id}).all()
    held = {cid: (amount, toks) for cid, amount, toks in released}
    actual = nano_usd
    for counter in sorted(hold.counter_ids):
        amount, toks = held.get(counter, (0, 0))
        conn.execute(
            _SETTLE_COUNTER,
            {"counter": counter, "spent": actual, "released": amount, "tokens": tokens, "released_tokens": toks},
        )


# Settling runs once per gateway call: its statements are built once, as table-level Core
# statements run on the session's connection (no ORM bulk-DML machinery per call).
_DELETE_HOLD = (
    delete(_HOLDS)
    .where(_HOLDS.c.hold_id == bindparam("hold_id"))
    .returning(_HOLDS.c.counter_id, _HOLDS.c.amount_nanousd, _HOLDS.c.tokens)
)
_SETTLE_COUNTER = (
    update(_COUNTERS)
    .where(_COUNTERS.c.id == bindparam("counter"))
    .values(
        spent_nanousd=_COUNTERS.c.spent_nanousd + bindparam("spent", type_=BigInteger),
        reserved_nanousd=_COUNTERS.c.reserved_nanousd - bindparam("released", type_=BigInteger),
        spent_tokens=_COUNTERS.c.spent_tokens + bindparam("tokens", type_=BigInteger),
        reserved_tokens=_COUNTERS.c.reserved_tokens - bindparam("released_tokens", type_=BigInteger),
    )
)


def release_expired(*, now: datetime | None = None) -> int:
    """Give back the money of holds past ``expires_at`` that were never settled (crashed calls).

    Each hold is released exactly once, even with concurrent callers (the delete returns the
    rows it removed). Only unsettled holds are read, through the partial index
    ``ix_budget_reservations_unsettled`` (its predicate repeated verbatim); released rows are
    deleted. Runs in its own transaction.

    Returns:
        How many reservations were released.
    """
    now = now or utcnow()
    with session_scope() as session:
        released = session.execute(
            delete(BudgetReservation)
            .where(text(UNSETTLED_SQL), col(BudgetReservation.expires_at) < now)
            .returning(
                col(BudgetReservation.counter_id), col(BudgetReservation.amount_nanousd), col(BudgetReservation.tokens)
            )
            .execution_options(synchronize_session=False)
        ).all()
        totals: dict[str, tuple[int, int]] = {}
        for counter, amount, toks in released:
            a, t = totals.get(counter, (0, 0))
            totals[counter] = (a + amount, t + toks)
        for counter in sorted(totals):
            amount, toks = totals[counter]
            session.execute(
                update(BudgetCounter)
                .where(col(BudgetCounter.id) == counter)
                .values(
                    reserved_nanousd=col(BudgetCounter.reserved_nanousd) - amount,
                    reserved_tokens=col(BudgetCounter.reserved_tokens) - toks,
                )
                .execution_options(synchronize_session=False)
            )
        return len(released)
