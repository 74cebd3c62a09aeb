"""Helpers for crash-safety tests: a workspace budget and its counter, and a run left ``running``."""

from __future__ import annotations

from datetime import UTC, datetime

from backend.accounts.actor import Actor
from backend.db import session_scope
from backend.gateway import admin, budgets
from backend.gateway.budgets import BudgetRef, applicable_budgets, period_bounds
from backend.models import BudgetCounter, Message, Run, UsageRecord


def workspace_budget(actor: Actor, limit_usd: float = 5.0) -> BudgetRef:
    """A daily workspace budget of ``limit_usd`` USD."""
    with session_scope() as s:
        admin.set_budget(
            actor=actor, scope="workspace", scope_id="", period="day", limit_usd=limit_usd, token_limit=None, session=s
        )
        refs = applicable_budgets(s, workspace_id=actor.workspace_id, agent_id=None, end_user_id=None)
    return next(r for r in refs if r.period == "day")


def counter(ref: BudgetRef) -> BudgetCounter:
    """Today's counter of ``ref``."""
    start, _ = period_bounds(ref.period, datetime.now(UTC))
    with session_scope() as s:
        row = s.get(BudgetCounter, budgets.counter_id(ref.id, start))
    assert row is not None
    return row


def run_state(run_id: str) -> tuple[Run, list[Message], list[UsageRecord]]:
    """The run, its assistant messages and its usage records."""
    from sqlmodel import select

    with session_scope() as s:
        run = s.get(Run, run_id)
        assert run is not None
        messages = list(s.exec(select(Message).where(Message.run_id == run_id, Message.role == "assistant")).all())
        records = list(s.exec(select(UsageRecord).where(UsageRecord.run_id == run_id)).all())
        s.expunge_all()
    return run, messages, records
