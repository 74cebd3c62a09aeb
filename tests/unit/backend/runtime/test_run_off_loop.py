"""A run does its database work in worker threads: the event loop every user shares never waits on it."""

from __future__ import annotations

import threading

from backend.accounts.actor import Actor
from backend.chat.service import create_conversation
from backend.db import session_scope
from backend.models import Run
from backend.runtime.events import RunDone, RunStarted, TextDelta
from backend.runtime.run import run_agent
from tests.support.db_events import watch_engine
from tests.support.gateway import add_agent, add_connection
from tests.support.llm_server import LLMTestServer
from tests.support.principal import for_conversation


async def test_a_run_queries_the_database_only_from_worker_threads(actor: Actor, llm_server: LLMTestServer) -> None:
    agent = add_agent(actor, add_connection(actor, llm_server))
    with session_scope() as s:
        conv = create_conversation(actor=actor, agent_id=agent, session=s).id
    loop_thread = threading.get_ident()
    principal = for_conversation(actor, conv)
    with watch_engine() as seen:
        events = [e async for e in run_agent(principal=principal, conversation_id=conv, user_text="hello")]
    assert isinstance(events[0], RunStarted)
    assert isinstance(events[-1], RunDone) and events[-1].status == "succeeded"
    assert len(seen.statements) > 5  # run row, messages, plan, hold, usage, answer
    assert loop_thread not in seen.threads


async def test_a_stopped_run_stores_its_outcome_off_the_loop(actor: Actor, llm_server: LLMTestServer) -> None:
    agent = add_agent(actor, add_connection(actor, llm_server))
    with session_scope() as s:
        conv = create_conversation(actor=actor, agent_id=agent, session=s).id
    loop_thread = threading.get_ident()
    run = run_agent(principal=for_conversation(actor, conv), conversation_id=conv, user_text="hello")
    with watch_engine() as seen:
        started = await anext(run)
        assert isinstance(await anext(run), TextDelta)
        await run.aclose()  # Stop mid-reply
    assert isinstance(started, RunStarted)
    with session_scope() as s:
        row = s.get(Run, started.run_id)
    assert row is not None and row.status == "cancelled"
    assert loop_thread not in seen.threads
