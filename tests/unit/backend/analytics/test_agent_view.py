"""One agent's drill-down against a hand-computed fixture in Asia/Kolkata (+05:30: the period's
edges fall at the start of the UTC hour holding local midnight): slowest runs with ties, latest
failed and cancelled runs, and the top conversation starters."""

from __future__ import annotations

import uuid
from datetime import UTC, date, datetime
from typing import Any

import pytest

from backend.accounts.actor import Actor
from backend.accounts.service import sign_up
from backend.agents.service import get_blueprint
from backend.analytics import agent_view as view
from backend.analytics.periods import custom_period
from backend.db import session_scope
from backend.models import Conversation, Message
from tests.support import analytics as rows

ZONE = "Asia/Kolkata"
# 10-11 May local = [09 May 18:00 UTC, 11 May 18:00 UTC): 18:30 UTC's hour starts at 18:00
BEFORE = datetime(2026, 5, 9, 17, 59, tzinfo=UTC)
FIRST = datetime(2026, 5, 9, 18, 0, tzinfo=UTC)
LAST = datetime(2026, 5, 11, 17, 59, tzinfo=UTC)
AFTER = datetime(2026, 5, 11, 18, 0, tzinfo=UTC)


def _at(day: int, hour: int) -> datetime:
    return datetime(2026, 5, day, hour, tzinfo=UTC)


@pytest.fixture(scope="module")
def shop() -> dict[str, Any]:
    """Agents Alpha (the fixture's runs and conversations) and Beta (one slow run, one starter)."""
    with session_scope() as s:
        email = f"drill-{uuid.uuid4().hex[:8]}@example.com"
        user, _ = sign_up(email=email, password="correct horse battery", session=s)
    actor = Actor(user_id=user.id, workspace_id=user.workspace_id)
    _, (alpha, beta) = rows.agents(actor, "Alpha", "Beta")

    def run(at: datetime, status: str, latency: int | None, run_id: str | None = None) -> None:
        extra = {"id": run_id} if run_id else {}
        rows.run(actor, alpha, at, status, latency_ms=latency, **extra)

    run(_at(10, 10), "succeeded", 5000)
    run(_at(10, 11), "succeeded", 3000, "r-tie-older")
    run(_at(10, 12), "succeeded", 3000, "r-tie-newer")
    run(_at(10, 13), "succeeded", 2000, "r-same-time-a")
    run(_at(10, 13), "succeeded", 2000, "r-same-time-b")
    run(FIRST, "succeeded", 4000, "r-first-hour")
    run(LAST, "succeeded", 4500, "r-last-minute")
    run(BEFORE, "succeeded", 9000)
    run(AFTER, "succeeded", 9000)
    for i in range(4):
        run(_at(11, i), "succeeded", 1000 + i)
    run(_at(10, 14), "succeeded", None)  # no latency recorded
    run(_at(10, 15), "running", None)
    run(_at(10, 9), "failed", 8000, "r-failed-9h")
    run(_at(10, 15), "cancelled", 7000, "r-cancelled-15h")
    run(_at(10, 16), "failed", 10, "r-failed-16h-a")
    run(_at(10, 16), "failed", 10, "r-failed-16h-b")
    run(FIRST, "failed", 10, "r-failed-first-hour")
    run(BEFORE, "failed", 10)
    run(AFTER, "cancelled", 10)
    rows.run(actor, beta, _at(10, 10), "succeeded", latency_ms=99_999, first_message="Beta's")
    rows.run(actor, beta, _at(10, 10), "failed", latency_ms=1, first_message="Beta's")
    return {"actor": actor, "alpha": alpha, "beta": beta}


def _view(shop: dict[str, Any], agent: str = "alpha", sample: int = view.STARTER_SAMPLE) -> view.AgentView:
    period = custom_period(date(2026, 5, 10), date(2026, 5, 11), ZONE, "day")
    with session_scope() as s:
        return view.agent_view(
            actor=shop["actor"], period=period, agent_id=shop[agent], session=s, starter_sample=sample
        )


@pytest.fixture(params=["few runs: sorted", "many runs: slowest first"])
def strategy(request: pytest.FixtureRequest, monkeypatch: pytest.MonkeyPatch) -> None:
    """Both ways of finding the slowest runs must give the same table."""
    monkeypatch.setattr(view, "PROBE", 10**6 if request.param.startswith("few") else 1)


@pytest.mark.usefixtures("strategy")
def test_slowest_runs_in_range_ties_newest_first(shop: dict[str, Any]) -> None:
    slowest = _view(shop).slowest.records()
    assert [r["latency_ms"] for r in slowest] == [5000, 4500, 4000, 3000, 3000, 2000, 2000, 1003, 1002, 1001]
    assert [r["run_id"] for r in slowest[1:7]] == [
        "r-last-minute",
        "r-first-hour",
        "r-tie-newer",
        "r-tie-older",
        "r-same-time-b",
        "r-same-time-a",
    ]
    assert {r["status"] for r in slowest} == {"succeeded"}
    assert slowest[1]["started"] == "2026-05-11 17:59 UTC"


@pytest.mark.usefixtures("strategy")
def test_failed_and_cancelled_runs_latest_first(shop: dict[str, Any]) -> None:
    failed = _view(shop).failed.records()
    assert [r["run_id"] for r in failed] == [
        "r-failed-16h-b",
        "r-failed-16h-a",
        "r-cancelled-15h",
        "r-failed-9h",
        "r-failed-first-hour",
    ]
    assert [r["status"] for r in failed[1:4]] == ["failed", "cancelled", "failed"]


def test_another_agent_and_an_empty_range(shop: dict[str, Any]) -> None:
    beta = _view(shop, "beta")
    assert [r["latency_ms"] for r in beta.slowest.records()] == [99_999]
    assert [r["latency_ms"] for r in beta.failed.records()] == [1]
    period = custom_period(date(2026, 6, 1), date(2026, 6, 1), ZONE, "day")
    with session_scope() as s:
        empty = view.agent_view(actor=shop["actor"], period=period, agent_id=shop["alpha"], session=s)
    assert empty.slowest.rows == () and empty.failed.rows == ()


def _conversation(shop: dict[str, Any], at: datetime, *messages: tuple[str, str], agent: str = "alpha") -> None:
    with session_scope() as s:
        version = get_blueprint(actor=shop["actor"], agent_id=shop[agent], session=s).id
        conv = Conversation(
            workspace_id=shop["actor"].workspace_id,
            agent_id=shop[agent],
            user_id=shop["actor"].user_id,
            blueprint_version_id=version,
            created_at=at,
        )
        s.add(conv)
        for position, (role, content) in enumerate(messages, start=1):
            s.add(Message(conversation_id=conv.id, position=position, role=role, content=content, created_at=at))


def test_top_starters_first_user_message_of_conversations_started_in_range(shop: dict[str, Any]) -> None:
    reset = "How do I reset my password?"
    _conversation(shop, _at(10, 1), ("assistant", "Welcome!"), ("user", reset))
    _conversation(shop, _at(10, 2), ("user", reset), ("assistant", "Like this."))
    _conversation(shop, _at(10, 3), ("user", "x" * 200 + " and then one thing"))
    _conversation(shop, _at(10, 4), ("user", "x" * 200 + " and then another"))
    _conversation(shop, _at(10, 5), ("user", "Zebra facts"), ("user", reset))
    _conversation(shop, _at(10, 6), ("user", "Apple pie"))
    _conversation(shop, BEFORE, ("user", reset))  # started before the period
    _conversation(shop, _at(10, 7), ("user", reset), agent="beta")
    starters = _view(shop).starters.rows
    # the fixture's runs each opened a conversation whose first message is "Hello": 18 in range
    assert starters == (("Hello", 18), (reset, 2), ("x" * 200, 2), ("Apple pie", 1), ("Zebra facts", 1))


def test_starters_count_only_the_latest_conversations_of_the_range(shop: dict[str, Any]) -> None:
    # Beta's two runs opened conversations ("Beta's") at 10:00 UTC; these three are its latest
    _conversation(shop, _at(10, 11), ("user", "Apple pie"), agent="beta")
    _conversation(shop, _at(10, 12), ("user", "Zebra facts"), agent="beta")
    _conversation(shop, _at(10, 13), ("user", "Apple pie"), agent="beta")
    _conversation(shop, _at(10, 14), ("user", "Alpha's"))  # another agent: not counted
    table = _view(shop, "beta", sample=3).starters
    assert table.rows == (("Apple pie", 2), ("Zebra facts", 1))
    assert table.title == "Top conversation starters (latest 3 conversations)"
    assert ("Beta's", 2) in _view(shop, "beta").starters.rows  # the default sample holds the whole range
