"""Settings usage totals by agent, model, end user and day, read from the hourly rollups."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime, timedelta

import pytest

from backend.accounts.actor import Actor, PermissionDenied
from backend.analytics import rollup
from backend.analytics.rollup import hour_of, rebuild_from, run_rollup
from backend.analytics.totals import recent_usage_totals, usage_totals
from backend.db import session_scope
from tests.support import analytics as rows

T0 = datetime(2026, 3, 1, 23, 30, tzinfo=UTC)


def _totals(actor: Actor, group_by: str, start: datetime, end: datetime) -> list[tuple[str, int, int, int, int, int]]:
    with session_scope() as s:
        found = usage_totals(
            actor=actor,
            start_hour=hour_of(start),
            end_hour=hour_of(end),
            group_by=group_by,
            session=s,  # type: ignore[arg-type]
        )
    return sorted((t.key, t.calls, t.errors, t.prompt_tokens, t.completion_tokens, t.cost_nano_usd) for t in found)


def test_totals_by_each_key(actor: Actor, make_actor: Callable[[], Actor]) -> None:
    other = make_actor()
    u = rows.usage
    rows.insert_usage(
        [
            u(actor, "a1", T0, end_user_id="u1", prompt_tokens=10, completion_tokens=5, cost_nano_usd=1_000_000),
            u(
                actor,
                "a1",
                T0 + timedelta(hours=1),
                end_user_id="u2",
                prompt_tokens=20,
                completion_tokens=5,
                cost_nano_usd=2_000_000,
            ),
            u(
                actor,
                "a2",
                T0 + timedelta(days=1),
                model="claude",
                prompt_tokens=1,
                completion_tokens=1,
                cost_nano_usd=500_000_000,
                status="error",
                error_class="provider_error",
            ),
            u(actor, "a1", T0 + timedelta(days=10), cost_nano_usd=9_000_000_000),  # outside the range
            u(other, "a1", T0, cost_nano_usd=9_000_000_000),  # another workspace
        ]
    )
    rebuild_from(T0 - timedelta(days=1))
    run_rollup()
    start, end = T0 - timedelta(hours=1), T0 + timedelta(days=2)
    assert _totals(actor, "agent", start, end) == [("a1", 2, 0, 30, 10, 3_000_000), ("a2", 1, 1, 1, 1, 500_000_000)]
    assert [k for k, *_ in _totals(actor, "model", start, end)] == ["claude", "test-model"]
    assert [(k, n) for k, n, *_ in _totals(actor, "end_user", start, end)] == [("", 1), ("u1", 1), ("u2", 1)]
    assert [(k, n) for k, n, *_ in _totals(actor, "day", start, end)] == [("2026-03-01", 1), ("2026-03-02", 2)]
    # a range spanning whole days reads the daily rollups and gives the same sums
    wide = _totals(actor, "agent", T0 - timedelta(days=3), T0 + timedelta(days=3))
    assert wide == [("a1", 2, 0, 30, 10, 3_000_000), ("a2", 1, 1, 1, 1, 500_000_000)]


def test_recent_totals_include_a_call_made_just_now(actor: Actor) -> None:
    rollup.catch_up()  # a pass just ran (another page's): it must not stand in for a pass after the call
    conn, (agent,) = rows.agents(actor, "Fresh")
    del conn
    rows.insert_usage([rows.usage(actor, agent, datetime.now(UTC), prompt_tokens=7, cost_nano_usd=70)])
    with session_scope() as s:
        found = recent_usage_totals(actor=actor, days=7, group_by="agent", session=s)
    assert [(t.key, t.calls, t.prompt_tokens, t.cost_nano_usd) for t in found] == [(agent, 1, 7, 70)]


def test_totals_are_for_members_only(actor: Actor, make_actor: Callable[[], Actor]) -> None:
    outsider = Actor(user_id=make_actor().user_id, workspace_id=actor.workspace_id)
    with session_scope() as s, pytest.raises(PermissionDenied):
        usage_totals(actor=outsider, start_hour=0, end_hour=1, group_by="day", session=s)
    with session_scope() as s, pytest.raises(ValueError):
        usage_totals(actor=actor, start_hour=0, end_hour=1, group_by="week", session=s)  # type: ignore[arg-type]
