"""Checkpoints while a reply streams: the partial answer and tokens reach the run row at
intervals (not per token), and a finished run keeps no checkpoint copy."""

from __future__ import annotations

import asyncio
import time

from backend.accounts.actor import Actor
from backend.db import session_scope
from backend.models import Run
from backend.runtime.checkpoint import Checkpoint, write_checkpoint
from backend.runtime.events import RunDone, RunStarted, TextDelta
from backend.runtime.run import run_agent
from tests.support import agents as h
from tests.support.llm_server import LLMTestServer
from tests.support.principal import for_conversation

REPLY = " ".join(f"w{i}" for i in range(40))


async def test_the_partial_answer_is_stored_while_streaming_and_cleared_at_the_end(actor: Actor) -> None:
    with LLMTestServer(reply=REPLY, chunk_delay_ms=75) as server:  # ~3 s of streaming, 40 deltas
        conv = h.conversation(actor, h.agent(actor, h.connection(actor, server)))
        seen: list[tuple[str, dict[str, object] | None]] = []
        run_id, deltas = "", 0
        async for event in run_agent(principal=for_conversation(actor, conv), conversation_id=conv, user_text="Count"):
            if isinstance(event, RunStarted):
                run_id = event.run_id
            elif isinstance(event, TextDelta):
                deltas += 1
                await asyncio.sleep(0)
                with session_scope() as s:
                    run = s.get(Run, run_id)
                    assert run is not None
                    if run.partial_text and (not seen or seen[-1][0] != run.partial_text):
                        seen.append((run.partial_text, run.inflight))
            elif isinstance(event, RunDone):
                assert event.status == "succeeded"
    assert deltas == 40
    assert 1 <= len(seen) <= 4  # about one write a second, never one per token
    text, inflight = seen[-1]
    assert REPLY.startswith(text) and inflight is not None and int(inflight["completion_tokens"]) > 0  # type: ignore[call-overload]
    with session_scope() as s:
        run = s.get(Run, run_id)
        assert run is not None and run.partial_text == "" and run.inflight is None and run.status == "succeeded"


async def test_tick_writes_at_most_once_per_interval_and_never_on_a_finished_run(actor: Actor) -> None:
    with LLMTestServer() as server:
        conv = h.conversation(actor, h.agent(actor, h.connection(actor, server)))
        events = await h.run(actor, conv, "Hi")
    run_id = events[0].run_id
    assert write_checkpoint(run_id, "late text", None) is False  # the run succeeded: nothing written
    with session_scope() as s:
        run = s.get(Run, run_id)
        assert run is not None and run.partial_text == ""
    checkpoint = Checkpoint(run_id, interval_s=0.2)
    started = time.monotonic()
    while time.monotonic() - started < 1.0:
        checkpoint.tick()
        await asyncio.sleep(0.001)
    assert 3 <= checkpoint.writes <= 6
