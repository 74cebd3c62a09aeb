"""Analytics figures against a hand-computed fixture in America/New_York around the start of
daylight saving time (2026-03-08 02:00 local), with a run that failed after a fallback and a
cancelled run."""

from __future__ import annotations

import csv
import io
import uuid
from datetime import UTC, date, datetime
from typing import Any

import pytest

from backend.accounts.actor import Actor, PermissionDenied
from backend.accounts.service import sign_up
from backend.analytics.periods import custom_period
from backend.analytics.rollup import rebuild_from, run_rollup
from backend.analytics.service import build_report
from backend.db import session_scope
from tests.support import analytics as rows

NY = "America/New_York"
T1 = datetime(2026, 3, 7, 4, 30, tzinfo=UTC)  # Mar 6 23:30 EST: the previous period
T2 = datetime(2026, 3, 7, 5, 30, tzinfo=UTC)  # Mar 7 00:30 EST
T3 = datetime(2026, 3, 8, 4, 30, tzinfo=UTC)  # Mar 7 23:30 EST (already Mar 8 in UTC)
T4 = datetime(2026, 3, 8, 5, 30, tzinfo=UTC)  # Mar 8 00:30 EST
T5 = datetime(2026, 3, 9, 3, 30, tzinfo=UTC)  # Mar 8 23:30 EDT (the 23-hour day)
T6 = datetime(2026, 3, 9, 4, 30, tzinfo=UTC)  # Mar 9 00:30 EDT
FALLBACK = [
    {"connection_id": "c", "model": "a", "outcome": "error", "error_kind": "provider_error"},
    {"connection_id": "c", "model": "b", "outcome": "error", "error_kind": "provider_error"},
]


def _actor() -> Actor:
    with session_scope() as s:
        user, _ = sign_up(email=f"a{uuid.uuid4().hex[:10]}@example.com", password="correct horse battery", session=s)
    return Actor(user_id=user.id, workspace_id=user.workspace_id)


@pytest.fixture(scope="module")
def shop() -> dict[str, Any]:
    """Workspace with agents Alpha and Beta and the fixture's calls, runs and tool calls."""
    actor = _actor()
    conn, (alpha, beta) = rows.agents(actor, "Alpha", "Beta")
    u = rows.usage
    rows.insert_usage(
        [
            u(actor, alpha, T1, prompt_tokens=100, completion_tokens=10, cost_nano_usd=1_000_000, latency_ms=400),
            u(
                actor,
                alpha,
                T2,
                prompt_tokens=200,
                completion_tokens=20,
                cost_nano_usd=2_000_000,
                latency_ms=400,
                ttft_ms=150,
                connection_id=conn,
            ),
            u(actor, alpha, T3, status="error", error_class="provider_error", latency_ms=2500, fallback_path=FALLBACK),
            u(
                actor,
                beta,
                T4,
                prompt_tokens=300,
                completion_tokens=30,
                cost_nano_usd=3_000_000,
                latency_ms=1200,
                ttft_ms=600,
                end_user_id="eu-1",
            ),
            u(
                actor,
                beta,
                T5,
                status="cancelled",
                error_class="cancelled",
                prompt_tokens=50,
                completion_tokens=5,
                cost_nano_usd=500_000,
                latency_ms=800,
            ),
            u(
                actor,
                alpha,
                T6,
                prompt_tokens=1000,
                completion_tokens=100,
                cost_nano_usd=10_000_000,
                latency_ms=300,
                ttft_ms=100,
            ),
        ]
    )
    rows.run(actor, alpha, T1, "succeeded", cost_nano_usd=1_000_000)
    rows.run(actor, alpha, T2, "succeeded", cost_nano_usd=2_000_000, first_message="Summarise my inbox")
    rows.run(actor, alpha, T3, "failed", error="every candidate failed", first_message="Summarise my inbox")
    rows.run(actor, beta, T4, "succeeded", cost_nano_usd=3_000_000)
    rows.run(actor, beta, T5, "cancelled", cost_nano_usd=500_000)
    rows.run(
        actor, alpha, T6, "succeeded", cost_nano_usd=10_000_000, latency_ms=900, first_message="=cmd|' /C calc'!A0"
    )
    rows.tool_call(actor, alpha, T2, "calculator", "ok", 20)
    rows.tool_call(actor, alpha, T3, "calculator", "error", 40)
    rows.tool_call(actor, alpha, T4, "fetch_webpage", "timeout", 1000)
    rebuild_from(datetime(2026, 3, 1, tzinfo=UTC))
    run_rollup()
    return {"actor": actor, "alpha": alpha, "beta": beta, "conn": conn}


def _report(actor: Actor, first: date, last: date, granularity: str = "day", agent_id: str | None = None) -> Any:
    with session_scope() as s:
        return build_report(
            actor=actor, period=custom_period(first, last, NY, granularity), agent_id=agent_id, session=s
        )


def _col(table: Any, name: str) -> list[Any]:
    return [r[name] for r in table.records()]


def test_local_days_across_the_dst_start(shop: dict[str, Any]) -> None:
    series = _report(shop["actor"], date(2026, 3, 7), date(2026, 3, 9)).overview.series
    assert _col(series, "period") == ["2026-03-07", "2026-03-08", "2026-03-09"]
    assert _col(series, "calls") == [2, 2, 1]
    assert _col(series, "call_errors") == [1, 0, 0]  # a cancelled call is not an error
    assert _col(series, "prompt_tokens") == [200, 350, 1000]
    assert _col(series, "cost_usd") == [0.002, 0.0035, 0.01]
    assert _col(series, "runs") == [2, 2, 1]
    assert _col(series, "succeeded") == [1, 1, 1]
    assert _col(series, "success_rate_pct") == [50.0, 50.0, 100.0]


def test_hourly_buckets_of_the_23_hour_day(shop: dict[str, Any]) -> None:
    labels = _col(_report(shop["actor"], date(2026, 3, 8), date(2026, 3, 8), "hour").overview.series, "period")
    assert len(labels) == 23
    assert labels[1:3] == ["2026-03-08 01:00 EST", "2026-03-08 03:00 EDT"]


def test_totals_and_change_against_the_previous_period(shop: dict[str, Any]) -> None:
    totals = {t.key: t for t in _report(shop["actor"], date(2026, 3, 7), date(2026, 3, 9)).overview.totals}
    assert (totals["runs"].value, totals["runs"].previous, totals["runs"].change_pct) == ("5", "1", 400.0)
    assert (totals["success_rate"].value, totals["success_rate"].change_pct) == ("60.0%", -40.0)
    assert (totals["cost"].value, totals["cost"].previous, totals["cost"].change_pct) == (
        "0.015500",
        "0.001000",
        1450.0,
    )
    assert totals["errors"].value == "1"
    # latencies 300, 400, 800, 1200, 2500 ms: the median's bucket is [750, 1000), interpolated to 875
    assert totals["latency_p50"].value == "875 ms"
    assert totals["ttft_p50"].value == "175 ms"  # 100, 150, 600 ms: bucket [100, 200) holds the median


def test_errors_by_class(shop: dict[str, Any]) -> None:
    errors = _report(shop["actor"], date(2026, 3, 7), date(2026, 3, 9)).overview.errors
    assert sorted(errors.rows) == [("cancelled", "cancelled", 1, 50.0), ("error", "provider_error", 1, 50.0)]


def test_breakdowns(shop: dict[str, Any]) -> None:
    b = _report(shop["actor"], date(2026, 3, 7), date(2026, 3, 9)).breakdowns
    agents = {r["agent"]: r for r in b.by_agent.records()}
    assert (agents["Alpha"]["runs"], agents["Alpha"]["success_rate_pct"], agents["Alpha"]["cost_usd"]) == (
        3,
        66.7,
        "0.012000",
    )
    assert (agents["Beta"]["calls"], agents["Beta"]["cost_usd"]) == (2, "0.003500")
    users = {r["end_user_id"]: r["calls"] for r in b.by_end_user.records()}
    assert users == {"eu-1": 1, "(none)": 4}
    conns = {r["connection"]: r["calls"] for r in b.by_connection.records()}
    assert conns == {"Local": 1, "(none)": 4}
    assert b.tools.rows == (("calculator", 2, 1, 50.0, 30), ("fetch_webpage", 1, 1, 100.0, 1000))


def test_cost_per_successful_run(shop: dict[str, Any]) -> None:
    insights = _report(shop["actor"], date(2026, 3, 7), date(2026, 3, 9)).insights
    per_agent = {r["agent"]: r["cost_per_successful_run_usd"] for r in insights.per_agent.records()}
    assert per_agent == {"Alpha": "0.006000", "Beta": "0.003500"}


def test_agent_filter_starters_and_runs(shop: dict[str, Any]) -> None:
    report = _report(shop["actor"], date(2026, 3, 7), date(2026, 3, 9), agent_id=shop["alpha"])
    assert _col(report.overview.series, "calls") == [2, 0, 1]
    assert report.agent.starters.rows[0] == ("Summarise my inbox", 2)
    failed = report.agent.failed.records()
    assert [(r["status"], r["error"]) for r in failed] == [("failed", "every candidate failed")]
    assert failed[0]["conversation_id"]
    assert [r["latency_ms"] for r in report.agent.slowest.records()] == [900, 100]


def test_empty_period(shop: dict[str, Any]) -> None:
    report = _report(shop["actor"], date(2026, 1, 1), date(2026, 1, 3))
    assert report.overview.empty
    assert _col(report.overview.series, "calls") == [0, 0, 0]
    assert _col(report.overview.series, "latency_p50_ms") == [None, None, None]
    assert report.breakdowns.by_agent.rows == ()


def test_csv_and_json_hold_the_screen_cells(shop: dict[str, Any]) -> None:
    report = _report(shop["actor"], date(2026, 3, 7), date(2026, 3, 9), agent_id=shop["alpha"])
    for table in report.tables():
        parsed = list(csv.reader(io.StringIO(table.to_csv())))
        assert parsed[0] == list(table.columns)
        shown = [[("'" + c if c.startswith("=") else c) for c in row] for row in table.text_rows()]
        assert parsed[1:] == shown, table.key
    starters = [r[0] for r in csv.reader(io.StringIO(report.agent.starters.to_csv()))]
    assert "'=cmd|' /C calc'!A0" in starters  # a formula is defused for spreadsheets


def test_another_workspace_sees_nothing_and_a_stranger_is_refused(shop: dict[str, Any]) -> None:
    other = _actor()
    report = _report(other, date(2026, 3, 7), date(2026, 3, 9), agent_id=shop["alpha"])
    assert report.overview.empty and report.agent.starters.rows == () and report.agent.failed.rows == ()
    stranger = Actor(user_id=other.user_id, workspace_id=shop["actor"].workspace_id)
    with pytest.raises(PermissionDenied):
        _report(stranger, date(2026, 3, 7), date(2026, 3, 9))


def test_runs_name_their_version_and_preview_runs_say_draft(shop: dict[str, Any]) -> None:
    from backend.agents.drafts import get_draft
    from backend.models.chat import Run

    preview = rows.run(shop["actor"], shop["alpha"], datetime(2026, 3, 8, 12, tzinfo=UTC), "succeeded", latency_ms=5000)
    with session_scope() as s:
        draft = get_draft(actor=shop["actor"], agent_id=shop["alpha"], session=s)
        row = s.get(Run, preview.id)
        assert row is not None
        row.blueprint_version_id = draft.id  # what a run in the builder's preview records
    report = _report(shop["actor"], date(2026, 3, 7), date(2026, 3, 9), agent_id=shop["alpha"])
    slowest = report.agent.slowest.records()
    assert [(r["latency_ms"], r["version"]) for r in slowest] == [(5000, "draft"), (900, "v1"), (100, "v1")]
    assert [r["version"] for r in report.agent.failed.records()] == ["v1"]
