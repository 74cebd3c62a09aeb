"""Checks of the scale-out fault tests: what a conversation stored (nothing lost or doubled), and polling."""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass


@dataclass(frozen=True)
class Ledger:
    """What a conversation stored: message roles in order, run statuses, and usage records per run."""

    roles: list[str]
    assistant_texts: list[str]
    runs: dict[str, str]
    usage: dict[str, list[tuple[str, int, int]]]  # run id -> [(status, prompt tokens, completion tokens)]


def ledger(conversation_id: str) -> Ledger:
    """Read the conversation's messages, runs and usage records (for "nothing lost or doubled")."""
    from sqlmodel import col, select

    from backend.db import session_scope
    from backend.models import Message, Run, UsageRecord

    with session_scope() as s:
        messages = s.exec(
            select(Message).where(Message.conversation_id == conversation_id).order_by(col(Message.created_at))
        ).all()
        runs = s.exec(select(Run).where(Run.conversation_id == conversation_id)).all()
        usage: dict[str, list[tuple[str, int, int]]] = {r.id: [] for r in runs}
        if runs:
            for u in s.exec(select(UsageRecord).where(col(UsageRecord.run_id).in_([r.id for r in runs]))).all():
                usage[str(u.run_id)].append((u.status, u.prompt_tokens, u.completion_tokens))
        return Ledger(
            roles=[m.role for m in messages],
            assistant_texts=[m.content for m in messages if m.role == "assistant"],
            runs={r.id: r.status for r in runs},
            usage=usage,
        )


def wait_for(check: Callable[[], object], timeout_s: float = 60, every_s: float = 0.25) -> object:
    """Poll ``check`` until it returns something truthy; returns it (raises TimeoutError)."""
    deadline = time.monotonic() + timeout_s
    while True:
        value = check()
        if value:
            return value
        if time.monotonic() > deadline:
            raise TimeoutError(f"condition not met within {timeout_s} s (last value {value!r})")
        time.sleep(every_s)
