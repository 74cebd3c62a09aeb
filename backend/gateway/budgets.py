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
from typing import Any, cast

from sqlalchemy import (
    BigInteger,
    ColumnElement,
    Select,
    Update,
    and_,
    bindparam,
    insert,
    or_,
    select,
    update,
)
from sqlalchemy.exc import IntegrityError

from backend.db import DbConn, connection_of, session_scope
from backend.gateway.holds import release_expired, settle
from backend.gateway.llm import GatewayError
from backend.gateway.refusals import REFUSAL_PHRASES, BudgetExceeded, UnpricedModel, exceeded, require_price
from backend.models.common import new_id, utcnow
from backend.models.gateway import NANO_PER_USD, Budget, BudgetCounter, BudgetReservation

__all__ = [
    "REFUSAL_PHRASES",
    "BudgetExceeded",
    "BudgetRef",
    "Hold",
    "ReserveConflict",
    "UnpricedModel",
    "applicable_budgets",
    "counter_id",
    "period_bounds",
    "release_expired",
    "require_price",
    "reserve",
    "settle",
    "to_nano",
]

_COUNTER_NS = uuid.UUID("6f1d2a0e-5b7c-4c1e-9a57-3f0b9e8d4a21")


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


def _budgets_statement() -> Select[Any]:
    b = _BUDGETS
    return select(b.id, b.scope, b.scope_id, b.period, b.limit_nano, b.token_limit).where(
        or_(
            and_(
                b.workspace_id == bindparam("ws"),
                or_(
                    and_(b.scope == "workspace", b.scope_id == bindparam("ws")),
                    and_(b.scope == "agent", b.scope_id == bindparam("agent")),
                    and_(b.scope == "end_user", b.scope_id == bindparam("end_user")),
                ),
            ),
            and_(b.scope == "api_key", b.scope_id == bindparam("api_key")),  # the calling key's own budget
        )
    )


_BUDGETS = Budget.__table__.c  # type: ignore[attr-defined]
_COUNTERS = BudgetCounter.__table__  # type: ignore[attr-defined]
_HOLDS = BudgetReservation.__table__  # type: ignore[attr-defined]
_APPLICABLE = _budgets_statement()  # the hot path's statements are built once (see also _hold_statement)


def applicable_budgets(
    session: DbConn,
    *,
    workspace_id: str,
    agent_id: str | None,
    end_user_id: str | None,
    api_key_id: str | None = None,
) -> list[BudgetRef]:
    """Budgets of the workspace that bind a call by ``agent_id`` for ``end_user_id``, and the
    budget of the API key ``api_key_id`` that made the call (scope ``api_key``), if any.

    A prebuilt Core statement on the session's connection (every gateway call runs it).
    """
    params = {"ws": workspace_id, "agent": agent_id or "", "end_user": end_user_id or "", "api_key": api_key_id or ""}
    return [BudgetRef(*row) for row in connection_of(session).execute(_APPLICABLE, params)]


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
_COUNTER_ROW = select(_COUNTERS).where(_COUNTERS.c.id == bindparam("counter"))


def _hold_on(
    session: DbConn,
    targets: list[tuple[str, BudgetRef, datetime, datetime]],
    hold: Hold,
    *,
    now: datetime,
    expires: datetime,
    run_id: str | None,
) -> None:
    """One conditional UPDATE per counter, then the reservation rows (prebuilt Core statements)."""
    amount, tokens = hold.amount_nanousd, hold.tokens
    conn = connection_of(session)
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
            row = cast(BudgetCounter | None, conn.execute(_COUNTER_ROW, {"counter": counter}).first())
            if row is None:
                raise _Missing(counter, budget, start)
            raise _Tripped(exceeded(budget, row, amount, tokens, end))
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
    session: DbConn | None = None,
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
