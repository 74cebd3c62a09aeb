"""Usage totals by agent, model, end user and day for a time range."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime, timedelta

import pytest
from sqlmodel import select

from backend.accounts.actor import Actor, PermissionDenied
from backend.db import session_scope
from backend.gateway.usage import record_usage, usage_totals
from backend.models import BillingOutbox, UsageRecord

T0 = datetime(2026, 3, 1, 23, 30, tzinfo=UTC)


def _add(actor: Actor, **fields: object) -> None:
    defaults: dict[str, object] = {"workspace_id": actor.workspace_id, "model": "gpt-4o-mini", "created_at": T0}
    with session_scope() as s:
        record_usage(s, UsageRecord(**{**defaults, **fields}))


def test_totals_by_each_key(actor: Actor, make_actor: Callable[[], Actor]) -> None:
    _add(actor, agent_id="a1", end_user_id="u1", prompt_tokens=10, completion_tokens=5, cost_nano_usd=1_000_000)
    _add(
        actor,
        agent_id="a1",
        end_user_id="u2",
        prompt_tokens=20,
        completion_tokens=5,
        cost_nano_usd=2_000_000,
        created_at=T0 + timedelta(hours=1),
    )
    _add(
        actor,
        agent_id="a2",
        model="claude",
        prompt_tokens=1,
        completion_tokens=1,
        cost_nano_usd=500_000_000,
        status="error",
        created_at=T0 + timedelta(days=1),
    )
    _add(actor, agent_id="a1", cost_nano_usd=9_000_000_000, created_at=T0 + timedelta(days=10))  # outside the range
    _add(make_actor(), agent_id="a1", cost_nano_usd=9_000_000_000)  # another workspace
    start, end = T0 - timedelta(hours=1), T0 + timedelta(days=2)
    with session_scope() as s:
        by_agent = usage_totals(actor=actor, start=start, end=end, group_by="agent", session=s)
        by_model = usage_totals(actor=actor, start=start, end=end, group_by="model", session=s)
        by_user = usage_totals(actor=actor, start=start, end=end, group_by="end_user", session=s)
        by_day = usage_totals(actor=actor, start=start, end=end, group_by="day", session=s)
        only_a1 = usage_totals(actor=actor, start=start, end=end, group_by="day", agent_id="a1", session=s)
    assert [(t.key, t.calls, t.prompt_tokens, t.completion_tokens) for t in by_agent] == [
        ("a1", 2, 30, 10),
        ("a2", 1, 1, 1),
    ]
    assert by_agent[0].cost_nano_usd == 3_000_000 and by_agent[1].errors == 1 and by_agent[0].errors == 0
    assert [t.key for t in by_model] == ["claude", "gpt-4o-mini"]
    assert [(t.key, t.calls) for t in by_user] == [("", 1), ("u1", 1), ("u2", 1)]
    assert [(t.key, t.calls) for t in by_day] == [("2026-03-01", 1), ("2026-03-02", 2)]
    assert [(t.key, t.calls) for t in only_a1] == [("2026-03-01", 1), ("2026-03-02", 1)]


def test_usage_is_for_members_only(actor: Actor, make_actor: Callable[[], Actor]) -> None:
    outsider = Actor(user_id=make_actor().user_id, workspace_id=actor.workspace_id)
    with session_scope() as s, pytest.raises(PermissionDenied):
        usage_totals(actor=outsider, start=T0, end=T0, group_by="day", session=s)
    with session_scope() as s, pytest.raises(ValueError):
        usage_totals(actor=actor, start=T0, end=T0, group_by="week", session=s)  # type: ignore[arg-type]


def test_recorded_errors_are_redacted(actor: Actor) -> None:
    record = UsageRecord(
        workspace_id=actor.workspace_id, error="rejected key sk-ABCDEFGHIJKLMNOPQRSTUV123456", status="error"
    )
    with session_scope() as s:
        record_usage(s, record)
    with session_scope() as s:
        row = s.get(UsageRecord, record.id)
    assert row is not None and "sk-ABC" not in row.error and "[redacted]" in row.error


def test_billable_records_write_their_outbox_row_in_the_same_transaction(actor: Actor) -> None:
    """A usage record and its billing-outbox row commit together or not at all."""
    _add(actor, id="billable", prompt_tokens=10, completion_tokens=2, cost_nano_usd=1234)
    _add(actor, id="rejected", status="rejected")  # no tokens, no cost: nothing to bill
    with session_scope() as s:
        rows = s.exec(select(BillingOutbox).where(BillingOutbox.workspace_id == actor.workspace_id)).all()
    assert [(r.usage_record_id, r.workspace_id, r.amount_nano_usd, r.done_at) for r in rows] == [
        ("billable", actor.workspace_id, 1234, None)
    ]
    with pytest.raises(RuntimeError), session_scope() as s:
        record_usage(s, UsageRecord(id="rolled", workspace_id=actor.workspace_id, prompt_tokens=5))
        s.flush()
        assert s.exec(select(BillingOutbox).where(BillingOutbox.usage_record_id == "rolled")).one()
        raise RuntimeError("the transaction fails after the record was written")
    with session_scope() as s:
        assert s.get(UsageRecord, "rolled") is None
        assert s.exec(select(BillingOutbox).where(BillingOutbox.usage_record_id == "rolled")).first() is None
