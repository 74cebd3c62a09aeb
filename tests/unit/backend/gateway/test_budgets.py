"""Budget reservations: conditional UPDATE, settlement, expiry, token caps, concurrency."""

from __future__ import annotations

import threading
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import insert
from sqlmodel import select

from backend.accounts.actor import Actor
from backend.agents.service import create_agent
from backend.db import session_scope
from backend.gateway import admin, budgets
from backend.gateway.budgets import BudgetExceeded, BudgetRef, applicable_budgets, period_bounds, reserve, settle
from backend.models import BlueprintFields, BudgetCounter, BudgetReservation
from backend.models.common import new_id
from tests.support.db_events import watch_engine


def _budget(
    actor: Actor, *, limit_usd: float | None = 1.0, token_limit: int | None = None, period: str = "day"
) -> BudgetRef:
    with session_scope() as s:
        admin.set_budget(
            actor=actor,
            scope="workspace",
            scope_id="",
            period=period,
            limit_usd=limit_usd,
            token_limit=token_limit,
            session=s,
        )
        refs = applicable_budgets(s, workspace_id=actor.workspace_id, agent_id=None, end_user_id=None)
    return next(r for r in refs if r.period == period)


def _counter(ref: BudgetRef) -> BudgetCounter:
    start, _ = period_bounds(ref.period, datetime.now(UTC))
    with session_scope() as s:
        row = s.get(BudgetCounter, budgets.counter_id(ref.id, start))
    assert row is not None
    return row


def _settle(hold: budgets.Hold | None, usd: float, tokens: int = 0) -> None:
    with session_scope() as s:
        settle(s, hold, nano_usd=budgets.to_nano(usd), tokens=tokens)


def test_period_bounds_are_utc_days_and_months() -> None:
    now = datetime(2026, 12, 31, 23, 59, tzinfo=UTC)
    assert period_bounds("day", now) == (datetime(2026, 12, 31, tzinfo=UTC), datetime(2027, 1, 1, tzinfo=UTC))
    assert period_bounds("month", now) == (datetime(2026, 12, 1, tzinfo=UTC), datetime(2027, 1, 1, tzinfo=UTC))
    assert period_bounds("month", datetime(2026, 2, 14, tzinfo=UTC))[1] == datetime(2026, 3, 1, tzinfo=UTC)
    with pytest.raises(ValueError):
        period_bounds("week", now)


def test_reserve_then_settle_moves_money_from_held_to_spent(actor: Actor) -> None:
    ref = _budget(actor, limit_usd=0.01)
    hold = reserve([ref], usd=0.004, tokens=500, ttl_s=60)
    row = _counter(ref)
    assert (row.reserved_nanousd, row.reserved_tokens, row.spent_nanousd) == (4_000_000, 500, 0)
    _settle(hold, 0.0015, 120)
    _settle(hold, 0.0015, 120)  # twice: the hold is released once, the cost is added again (caller's duty)
    row = _counter(ref)
    assert row.reserved_nanousd == 0 and row.reserved_tokens == 0
    assert row.spent_nanousd == 3_000_000 and row.spent_tokens == 240


def test_over_budget_says_which_budget_and_when_it_resets(actor: Actor) -> None:
    ref = _budget(actor, limit_usd=0.01)
    reserve([ref], usd=0.008, tokens=10, ttl_s=60)
    with pytest.raises(BudgetExceeded) as info:
        reserve([ref], usd=0.004, tokens=10, ttl_s=60)
    err = info.value
    assert err.kind == "budget" and err.scope == "workspace" and err.period == "day"
    # the budget is not used up: this call's worst case is more than what is left
    assert "used up" not in err.message and "is spent" not in err.message
    assert "This workspace's daily budget would not cover this call" in err.message
    assert "it could cost up to $0.004 and only $0.002 is left" in err.message
    assert "($0 of $0.01 spent, $0.008 held by replies in progress)" in err.message
    assert err.resets_at == period_bounds("day", datetime.now(UTC))[1]
    assert err.resets_at.strftime("%Y-%m-%d 00:00 UTC") in err.message
    assert _counter(ref).reserved_nanousd == 8_000_000  # the refused call held nothing


def test_a_spent_budget_says_spent_not_what_this_call_could_cost(actor: Actor) -> None:
    ref = _budget(actor, limit_usd=0.01)
    _settle(reserve([ref], usd=0.004, tokens=10, ttl_s=60), 0.01)
    with pytest.raises(BudgetExceeded) as info:
        reserve([ref], usd=0.000001, tokens=10, ttl_s=60)
    assert info.value.message.startswith("This workspace's daily budget is spent: $0.01 of $0.01 used. It resets at")
    assert "could cost" not in info.value.message


def test_all_budgets_or_none(actor: Actor) -> None:
    big = _budget(actor, limit_usd=1.0, period="month")
    small = _budget(actor, limit_usd=0.001, period="day")
    reserve([big, small], usd=0.0005, tokens=1, ttl_s=60)
    with pytest.raises(BudgetExceeded) as info:
        reserve([big, small], usd=0.0006, tokens=1, ttl_s=60)
    assert info.value.period == "day"
    assert _counter(big).reserved_nanousd == 500_000  # the month counter was rolled back


def test_expired_holds_are_released_when_a_reservation_is_refused(actor: Actor) -> None:
    ref = _budget(actor, limit_usd=0.01)
    crashed = reserve([ref], usd=0.009, tokens=10, ttl_s=-1)  # a process died holding this
    hold = reserve([ref], usd=0.009, tokens=10, ttl_s=60)
    assert hold is not None
    assert _counter(ref).reserved_nanousd == 9_000_000
    _settle(crashed, 0.0)  # late settlement of the expired hold adds its cost only
    assert _counter(ref).reserved_nanousd == 9_000_000


def test_token_caps_bind_models_without_a_price(actor: Actor) -> None:
    ref = _budget(actor, limit_usd=None, token_limit=1000)
    hold = reserve([ref], usd=0.0, tokens=600, ttl_s=60)
    with pytest.raises(BudgetExceeded, match="it could use up to 600 tokens and only 400 are left"):
        reserve([ref], usd=0.0, tokens=600, ttl_s=60)
    _settle(hold, 0.0, tokens=1000)
    with pytest.raises(BudgetExceeded, match="budget is spent: 1,000 of 1,000 tokens used"):
        reserve([ref], usd=0.0, tokens=1, ttl_s=60)


def test_budgets_apply_by_scope(actor: Actor, make_actor) -> None:  # type: ignore[no-untyped-def]
    other = make_actor()
    with session_scope() as s:
        from backend.connections.service import create_connection

        conn = create_connection(
            actor=actor, name="c", provider="openai_compatible", api_key=None, base_url="http://x:1/v1", session=s
        )
        agent = create_agent(actor=actor, fields=BlueprintFields(name="a", connection_id=conn.id, model="m"), session=s)
        admin.set_budget(actor=actor, scope="agent", scope_id=agent, period="day", limit_usd=1, session=s)
        admin.set_budget(actor=actor, scope="end_user", scope_id=actor.user_id, period="month", limit_usd=1, session=s)
        admin.set_budget(actor=actor, scope="workspace", scope_id="", period="day", limit_usd=1, session=s)
        ws = actor.workspace_id
        assert len(applicable_budgets(s, workspace_id=ws, agent_id=agent, end_user_id=actor.user_id)) == 3
        assert [b.scope for b in applicable_budgets(s, workspace_id=ws, agent_id=None, end_user_id=None)] == [
            "workspace"
        ]
        assert applicable_budgets(s, workspace_id=other.workspace_id, agent_id=agent, end_user_id=actor.user_id) == []


def test_no_budget_means_no_hold(actor: Actor) -> None:
    assert reserve([], usd=1.0, tokens=1, ttl_s=60) is None


def test_fifty_concurrent_reservations_against_a_budget_that_fits_ten(actor: Actor) -> None:
    """The conditional UPDATE admits exactly 10 of 50 simultaneous holds; spend never exceeds the cap."""
    cost = 0.001
    ref = _budget(actor, limit_usd=cost * 10)
    barrier = threading.Barrier(50)

    def attempt(_: int) -> budgets.Hold | None:
        barrier.wait()
        try:
            return reserve([ref], usd=cost, tokens=100, ttl_s=60)
        except BudgetExceeded:
            return None

    with ThreadPoolExecutor(max_workers=50) as pool:
        holds = list(pool.map(attempt, range(50)))
    admitted = [h for h in holds if h is not None]
    assert len(admitted) == 10
    row = _counter(ref)
    assert row.reserved_nanousd == 10 * 1_000_000 <= 10_000_000
    for hold in admitted:
        _settle(hold, cost, 100)
    row = _counter(ref)
    assert row.spent_nanousd == 10_000_000 and row.reserved_nanousd == 0
    with pytest.raises(BudgetExceeded):
        reserve([ref], usd=0.000001, tokens=1, ttl_s=60)


def test_release_expired_only_releases_each_hold_once(actor: Actor) -> None:
    ref = _budget(actor, limit_usd=1.0)
    reserve([ref], usd=0.1, tokens=10, ttl_s=1)
    later = datetime.now(UTC) + timedelta(seconds=5)
    with ThreadPoolExecutor(max_workers=4) as pool:
        released = list(pool.map(lambda _: budgets.release_expired(now=later), range(4)))
    assert sum(released) == 1
    assert _counter(ref).reserved_nanousd == 0


def _holds(ref: BudgetRef) -> list[BudgetReservation]:
    start, _ = period_bounds(ref.period, datetime.now(UTC))
    with session_scope() as s:
        counter = budgets.counter_id(ref.id, start)
        return list(s.exec(select(BudgetReservation).where(BudgetReservation.counter_id == counter)).all())


def test_settled_and_released_holds_are_pruned(actor: Actor) -> None:
    ref = _budget(actor, limit_usd=1.0)
    hold = reserve([ref], usd=0.01, tokens=10, ttl_s=60)
    reserve([ref], usd=0.02, tokens=20, ttl_s=60, now=datetime.now(UTC) - timedelta(hours=1))  # a crashed call
    assert len(_holds(ref)) == 2
    _settle(hold, 0.004, 7)
    assert budgets.release_expired() == 1
    assert _holds(ref) == []  # nothing left to scan: no settled rows pile up
    counter = _counter(ref)
    assert (counter.reserved_nanousd, counter.reserved_tokens) == (0, 0)
    assert (counter.spent_nanousd, counter.spent_tokens) == (budgets.to_nano(0.004), 7)
    _settle(hold, 0.004, 7)  # settling twice: the hold is not released again
    assert _counter(ref).reserved_nanousd == 0


def _seed_settled(counter: str, count: int) -> None:
    """Settled holds as older versions left them (long expired)."""
    past = datetime.now(UTC) - timedelta(days=3)
    with session_scope() as s:
        s.execute(
            insert(BudgetReservation),
            [
                {"id": new_id(), "hold_id": new_id(), "counter_id": counter, "amount_nanousd": 5, "tokens": 1,
                 "expires_at": past, "settled": True, "expired": False, "created_at": past, "run_id": None}
                for _ in range(count)
            ],
        )  # fmt: skip


def test_release_expired_reads_only_unsettled_holds_through_the_partial_index(actor: Actor) -> None:
    ref = _budget(actor, limit_usd=1.0)
    hold = reserve([ref], usd=0.01, tokens=10, ttl_s=60, now=datetime.now(UTC) - timedelta(hours=1))
    assert hold is not None
    _seed_settled(hold.counter_ids[0], 200)
    with watch_engine() as seen:
        assert budgets.release_expired() == 1  # the settled ones are not released again
    assert _counter(ref).reserved_nanousd == 0
    sql, params = next((q, p) for q, p in seen.statements if q.lstrip().upper().startswith("DELETE"))
    with session_scope() as s:
        conn = s.connection()
        if conn.dialect.name == "postgresql":
            conn.exec_driver_sql("SET LOCAL enable_seqscan = off")  # tiny tables: make the planner show its index
            plan = " ".join(str(r[0]) for r in conn.exec_driver_sql("EXPLAIN " + sql, params))
        else:
            plan = " ".join(str(r[-1]) for r in conn.exec_driver_sql("EXPLAIN QUERY PLAN " + sql, params))
    assert "ix_budget_reservations_unsettled" in plan, plan
