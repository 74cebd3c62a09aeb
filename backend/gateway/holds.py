"""Settling and releasing budget holds (see :mod:`backend.gateway.budgets` for reserving them).

A call's hold is released and its actual cost added by :func:`settle`, in the transaction that
writes the usage record; holds of crashed processes are given back by :func:`release_expired`.
Both delete the reservation rows: nothing reads a settled hold.
"""

from __future__ import annotations

from datetime import datetime
from typing import TYPE_CHECKING

from sqlalchemy import BigInteger, bindparam, delete, text, update
from sqlmodel import col

from backend.db import DbConn, connection_of, session_scope
from backend.models.common import utcnow
from backend.models.gateway import UNSETTLED_SQL, BudgetCounter, BudgetReservation

if TYPE_CHECKING:
    from backend.gateway.budgets import Hold

_COUNTERS = BudgetCounter.__table__  # type: ignore[attr-defined]
_HOLDS = BudgetReservation.__table__  # type: ignore[attr-defined]


def settle(session: DbConn, hold: Hold | None, *, nano_usd: int, tokens: int) -> None:
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
    conn = connection_of(session)
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
