"""Recording usage records: redaction and the billing outbox row written with each billable one."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from sqlmodel import select

from backend.accounts.actor import Actor
from backend.db import core_transaction, session_scope
from backend.gateway.usage import insert_usage, record_usage
from backend.models import BillingOutbox, UsageRecord

T0 = datetime(2026, 3, 1, 23, 30, tzinfo=UTC)


def _add(actor: Actor, **fields: object) -> None:
    defaults: dict[str, object] = {"workspace_id": actor.workspace_id, "model": "gpt-4o-mini", "created_at": T0}
    with session_scope() as s:
        record_usage(s, UsageRecord(**{**defaults, **fields}))


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


def test_the_gateways_core_transaction_commits_record_and_outbox_together_or_not_at_all(actor: Actor) -> None:
    """The gateway writes usage on a plain Core connection (``core_transaction``, no ORM session):
    the record and its outbox row still commit together, and a failure rolls both back."""
    values = {
        c.name: getattr(UsageRecord(workspace_id=actor.workspace_id, created_at=T0), c.name)
        for c in UsageRecord.__table__.columns
    }  # type: ignore[attr-defined]
    with core_transaction() as conn:
        insert_usage(conn, {**values, "id": "core-ok", "prompt_tokens": 7, "cost_nano_usd": 99})
    with pytest.raises(RuntimeError), core_transaction() as conn:
        insert_usage(conn, {**values, "id": "core-rolled", "prompt_tokens": 7, "cost_nano_usd": 99})
        raise RuntimeError("the settle step fails after the record was written")
    with session_scope() as s:
        assert s.get(UsageRecord, "core-rolled") is None
        outbox = s.exec(select(BillingOutbox).where(BillingOutbox.workspace_id == actor.workspace_id)).all()
        ok = s.get(UsageRecord, "core-ok")
    assert ok is not None and (ok.prompt_tokens, ok.cost_nano_usd) == (7, 99)
    assert [(r.usage_record_id, r.amount_nano_usd) for r in outbox] == [("core-ok", 99)]
