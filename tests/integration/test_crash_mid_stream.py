"""kill -9 in the middle of a streamed reply, then restart: the sweep finishes the run as failed
with its partial text and the tokens already received, and releases the budget hold."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

from backend.accounts.actor import Actor
from backend.chat.service import get_messages
from backend.db import session_scope
from backend.gateway.catalog import call_cost, model_info
from backend.models import Run
from backend.models.gateway import usd_to_nano
from backend.runtime.sweep import INTERRUPTED, sweep_stale_runs
from tests.support import agents as h
from tests.support.crash import counter, run_state, workspace_budget
from tests.support.gateway import add_agent
from tests.support.llm_server import LLMTestServer

ROOT = Path(__file__).resolve().parents[2]
REPLY = " ".join(f"word{i}" for i in range(400))


def _running_run(conversation_id: str) -> dict[str, Any] | None:
    """The conversation's run once a checkpoint stored some text: its id, text and in-flight call."""
    from sqlmodel import select

    with session_scope() as s:
        run = s.exec(select(Run).where(Run.conversation_id == conversation_id)).first()
        if run is None or not run.partial_text:
            return None
        return {"id": run.id, "status": run.status, "text": run.partial_text, "inflight": run.inflight}


def test_kill_9_mid_stream_then_restart(actor: Actor) -> None:
    with LLMTestServer(reply=REPLY, chunk_delay_ms=60) as server:
        conv = h.conversation(actor, add_agent(actor, h.connection(actor, server), model="gpt-4o-mini"))
        ref = workspace_budget(actor, limit_usd=5.0)
        proc = subprocess.Popen(  # noqa: S603  (our own test helper)
            [sys.executable, "-m", "tests.support.run_turn", actor.user_id, actor.workspace_id, conv, "Count"],
            cwd=ROOT,
            env=dict(os.environ),
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
        )
        try:
            seen: dict[str, Any] | None = None
            deadline = time.monotonic() + 60
            while time.monotonic() < deadline and proc.poll() is None:
                seen = _running_run(conv)
                if seen and seen["inflight"] and seen["text"].count(" ") >= 20:
                    break
                time.sleep(0.1)
            assert seen is not None and proc.poll() is None, "no partial text was persisted while streaming"
            assert counter(ref).reserved_nanousd > 0  # the call's budget hold
            os.kill(proc.pid, signal.SIGKILL)
            proc.wait(10)
        finally:
            if proc.poll() is None:
                proc.kill()
    last = _running_run(conv)  # the last checkpoint before the kill
    assert last is not None and last["status"] == "running" and REPLY.startswith(last["text"])
    time.sleep(1.2)
    assert sweep_stale_runs(stale_after_s=1) >= 1  # "restart": the sweep at start
    run, messages, records = run_state(last["id"])
    assert run.status == "failed" and run.error == INTERRUPTED
    assert [m.content for m in messages] == [last["text"]]
    [record] = records
    tokens = last["inflight"]["completion_tokens"]
    assert tokens > 0 and record.completion_tokens == tokens and record.prompt_tokens > 0
    expected, _ = call_cost(model_info("openai_compatible", "gpt-4o-mini"), record.prompt_tokens, tokens)
    assert expected > 0 and record.cost_nano_usd == usd_to_nano(expected) and run.cost_nano_usd == record.cost_nano_usd
    row = counter(ref)
    assert row.reserved_nanousd == 0 and row.reserved_tokens == 0 and row.spent_nanousd > 0
    with session_scope() as s:
        shown = [m for m in get_messages(actor=actor, conversation_id=conv, session=s) if m.role == "assistant"]
    assert [(m.content, m.run_status) for m in shown] == [(last["text"], "failed")]
