"""The hourly rollups equal a recomputation from the raw usage records after writers and several
rollup passes ran at the same time (SQLite or PostgreSQL, a brand-new migrated database)."""

from __future__ import annotations

import random
import threading
from collections import Counter, defaultdict
from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy import func, insert, select

from backend.accounts.service import sign_up
from backend.analytics.derived import ALL_AGENTS, final_days_end
from backend.analytics.rollup import run_rollup
from backend.db import get_engine, migrate, session_scope
from backend.models import EndUserHourly, RollupState, SeriesHourly, UsageHourly, UsageRecord
from backend.models.analytics import DAILY, HOURLY, WEEK_HOURS, WEEKLY
from backend.models.common import new_id, utcnow

WRITERS, ROWS_PER_WRITER = 4, 150
AGENTS, MODELS, STATUSES = ("a1", "a2", None), ("m1", "m2"), ("ok", "ok", "ok", "error", "cancelled")


def _row(rng: random.Random, workspace_id: str, at: datetime) -> dict[str, Any]:
    status = rng.choice(STATUSES)
    return {
        "id": new_id(), "workspace_id": workspace_id, "agent_id": rng.choice(AGENTS),
        "end_user_id": rng.choice(("u1", "u2", None)), "caller_kind": "member", "caller_id": None, "run_id": None,
        "connection_id": None, "provider": "openai", "model": rng.choice(MODELS),
        "prompt_tokens": rng.randint(0, 500), "completion_tokens": rng.randint(0, 100), "cached_tokens": 0,
        "cost_nano_usd": rng.randint(0, 10**7), "cost_note": "", "latency_ms": rng.randint(1, 9000),
        "ttft_ms": rng.choice((None, rng.randint(1, 900))), "status": status,
        "error_class": "provider_error" if status == "error" else "", "error": "", "fallback_path": [],
        "streamed": True, "created_at": at,
    }  # fmt: skip


def _write(engine: Any, workspace_id: str, seed: int, errors: list[BaseException]) -> None:
    rng = random.Random(seed)
    try:
        for _ in range(ROWS_PER_WRITER):
            at = utcnow() - timedelta(seconds=rng.uniform(0, 30))  # committed up to 30 s after its timestamp
            with session_scope(engine) as s:
                s.execute(insert(UsageRecord.__table__), [_row(rng, workspace_id, at)])  # type: ignore[attr-defined]
    except BaseException as exc:  # noqa: BLE001  (surfaced by the test's assertion)
        errors.append(exc)


def _recomputed(engine: Any) -> tuple[dict[tuple[Any, ...], Counter[str]], dict[tuple[Any, ...], Counter[str]]]:
    usage: dict[tuple[Any, ...], Counter[str]] = defaultdict(Counter)
    users: dict[tuple[Any, ...], Counter[str]] = defaultdict(Counter)
    with session_scope(engine) as s:
        for r in s.execute(select(UsageRecord.__table__)).mappings():  # type: ignore[attr-defined]
            hour = int(r["created_at"].timestamp() // 3600)
            key = (r["workspace_id"], hour, r["agent_id"] or "", r["model"], r["status"], r["error_class"])
            usage[key].update(calls=1, prompt=r["prompt_tokens"], cost=r["cost_nano_usd"], latency=r["latency_ms"],
                              ttft_calls=int(r["ttft_ms"] is not None))  # fmt: skip
            users[(r["workspace_id"], hour, r["agent_id"] or "", r["end_user_id"] or "")].update(
                calls=1, cost=r["cost_nano_usd"]
            )
    return _clean(usage), _clean(users)


def _clean(groups: dict[tuple[Any, ...], Counter[str]]) -> dict[tuple[Any, ...], Counter[str]]:
    return {k: Counter({n: v for n, v in c.items() if v}) for k, c in groups.items()}


def _rolled_up(engine: Any) -> tuple[dict[tuple[Any, ...], Counter[str]], dict[tuple[Any, ...], Counter[str]]]:
    usage: dict[tuple[Any, ...], Counter[str]] = defaultdict(Counter)
    users: dict[tuple[Any, ...], Counter[str]] = defaultdict(Counter)
    with session_scope(engine) as s:
        for r in s.execute(select(UsageHourly.__table__)).mappings():  # type: ignore[attr-defined]
            assert sum(r[f"lat_{i}"] for i in range(17)) == r["calls"]
            assert sum(r[f"ttft_{i}"] for i in range(17)) == r["ttft_calls"]
            key = (r["workspace_id"], r["hour"], r["agent_id"], r["model"], r["status"], r["error_class"])
            usage[key].update(calls=r["calls"], prompt=r["prompt_tokens"], cost=r["cost_nano_usd"],
                              latency=r["latency_ms_sum"], ttft_calls=r["ttft_calls"])  # fmt: skip
        everyone: dict[tuple[Any, ...], Counter[str]] = defaultdict(Counter)
        for r in s.execute(select(EndUserHourly.__table__)).mappings():  # type: ignore[attr-defined]
            if r["agent_id"] == ALL_AGENTS:  # the all-agents rows: the sums of the per-agent rows
                everyone[(r["workspace_id"], r["hour"], r["end_user_id"])].update(
                    calls=r["calls"], cost=r["cost_nano_usd"]
                )
                continue
            users[(r["workspace_id"], r["hour"], r["agent_id"], r["end_user_id"])].update(
                calls=r["calls"], cost=r["cost_nano_usd"]
            )
    summed: dict[tuple[Any, ...], Counter[str]] = defaultdict(Counter)
    for (ws, hour, _, user), counts in users.items():
        summed[(ws, hour, user)].update(counts)
    assert _clean(everyone) == _clean(summed)
    return _clean(usage), _clean(users)


def test_rollup_equals_recomputation_after_concurrent_writes(fresh_url: str) -> None:
    migrate(fresh_url)
    engine = get_engine(fresh_url)
    with session_scope(engine) as s:
        workspace_id = sign_up(email="rollup@example.com", password="correct horse battery", session=s)[0].workspace_id
    rng = random.Random(7)
    start = datetime.now(UTC) - timedelta(days=16)  # over two whole 168-hour weeks: the weekly twin fills
    history = [_row(rng, workspace_id, start + timedelta(minutes=37 * i)) for i in range(600)]
    with session_scope(engine) as s:
        s.execute(insert(UsageRecord.__table__), history)  # type: ignore[attr-defined]

    stop = threading.Event()
    errors: list[BaseException] = []

    def roll() -> None:
        while not stop.is_set():
            try:
                run_rollup(engine=engine, batch_hours=6)
            except BaseException as exc:  # noqa: BLE001  (surfaced by the assertion below)
                errors.append(exc)
                return
            stop.wait(0.05)  # the app passes at most every few seconds; here as often as we can

    rollers = [threading.Thread(target=roll) for _ in range(2)]
    writers = [threading.Thread(target=_write, args=(engine, workspace_id, seed, errors)) for seed in range(WRITERS)]
    for t in rollers + writers:
        t.start()
    for t in writers:
        t.join()
    stop.set()
    for t in rollers:
        t.join()
    assert errors == [], [repr(e)[:300] for e in errors]

    run_rollup(engine=engine)
    expected_usage, expected_users = _recomputed(engine)
    assert sum(c["calls"] for c in expected_usage.values()) == 600 + WRITERS * ROWS_PER_WRITER
    assert _rolled_up(engine) == (expected_usage, expected_users)
    run_rollup(engine=engine)  # idempotent: another pass changes nothing
    assert _rolled_up(engine) == (expected_usage, expected_users)
    _assert_derived_tables_agree(engine)


def _assert_derived_tables_agree(engine: Any) -> None:
    """Daily twins hold the sums of their hourly rows for every final day; the series' ``*`` rows
    the workspace's calls per hour."""
    with session_scope(engine) as s:
        for hourly in HOURLY:
            daily, end = DAILY[hourly.name], final_days_end(s, hourly)
            day = hourly.c.hour - hourly.c.hour % 24
            from_hours = dict(
                s.execute(select(day, func.sum(hourly.c.calls if "calls" in hourly.c else hourly.c.runs))
                          .where(hourly.c.hour < end).group_by(day)).all()
            )  # fmt: skip
            measure = daily.c.calls if "calls" in daily.c else daily.c.runs
            from_days = dict(s.execute(select(daily.c.hour, func.sum(measure)).group_by(daily.c.hour)).all())
            assert from_days == from_hours, hourly.name
            assert from_days or hourly.name in ("analytics_run_hourly", "analytics_tool_hourly")  # no runs here
            weekly, week_end = WEEKLY[hourly.name], end // WEEK_HOURS * WEEK_HOURS
            week = daily.c.hour - daily.c.hour % WEEK_HOURS
            from_days_by_week = dict(
                s.execute(select(week, func.sum(measure)).where(daily.c.hour < week_end).group_by(week)).all()
            )
            weekly_measure = weekly.c.calls if "calls" in weekly.c else weekly.c.runs
            from_weeks = dict(s.execute(select(weekly.c.hour, func.sum(weekly_measure)).group_by(weekly.c.hour)).all())
            assert from_weeks == from_days_by_week, weekly.name
            assert from_weeks or hourly.name in ("analytics_run_hourly", "analytics_tool_hourly")
        _assert_series_twins_agree(s)
        usage = dict(s.execute(select(UsageHourly.hour, func.sum(UsageHourly.calls)).group_by(UsageHourly.hour)).all())
        series = dict(
            s.execute(select(SeriesHourly.hour, SeriesHourly.calls).where(SeriesHourly.agent_id == ALL_AGENTS)).all()
        )
        assert {h: c for h, c in series.items() if c} == usage


def _assert_series_twins_agree(s: Any) -> None:
    """The series' daily and weekly twins hold the sums of its hourly rows per agent (and ``*``)
    for every day and week before the series' watermark, which is the older of usage and runs."""
    hourly, state = SeriesHourly.__table__, RollupState.__table__  # type: ignore[attr-defined]
    marks = dict(s.execute(select(state.c.source, state.c.watermark_hour)).all())
    assert marks["series"] == min(marks["usage"], marks["runs"]) > 0
    for twin, span in ((DAILY[hourly.name], 24), (WEEKLY[hourly.name], WEEK_HOURS)):
        end = marks["series"] // span * span
        start = hourly.c.hour - hourly.c.hour % span
        group = (hourly.c.agent_id, start)
        from_hours = s.execute(
            select(*group, func.sum(hourly.c.calls), func.sum(hourly.c.lat_3), func.sum(hourly.c.cost_nano_usd))
            .where(hourly.c.hour < end).group_by(*group)
        ).all()  # fmt: skip
        c = twin.c
        from_twin = s.execute(select(c.agent_id, c.hour, c.calls, c.lat_3, c.cost_nano_usd)).all()
        assert sorted(map(tuple, from_twin)) == sorted(map(tuple, from_hours)), twin.name
        assert from_twin, twin.name
