"""Runs with knowledge and memory: passages enter the context, answers cite them, exchanges are remembered."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from backend.accounts.actor import Actor
from backend.agents.service import create_agent
from backend.chat.service import create_conversation
from backend.connections.service import create_connection
from backend.db import session_scope
from backend.memory.conversation import update_memory_settings
from backend.memory.knowledge import UploadedFile, add_files
from backend.memory.worker import run_pending
from backend.models import BlueprintFields, Membership
from backend.runtime.events import Citation, RunDone
from backend.runtime.grounding import list_citations
from backend.runtime.run import run_agent
from tests.support.principal import for_conversation

HANDBOOK = (Path(__file__).resolve().parents[3] / "fixtures" / "memory" / "handbook.pdf").read_bytes()


def _agent(actor: Actor, server) -> str:  # type: ignore[no-untyped-def]
    with session_scope() as s:
        conn = create_connection(
            actor=actor,
            name="Local",
            provider="openai_compatible",
            api_key=server.api_key,
            base_url=server.base_url,
            session=s,
        )
        fields = BlueprintFields(name="Helper", connection_id=conn.id, model="test-model", instructions="Be brief.")
        return create_agent(actor=actor, fields=fields, session=s)


def _conversation(actor: Actor, agent: str) -> str:
    with session_scope() as s:
        return create_conversation(actor=actor, agent_id=agent, session=s).id


async def _run(actor: Actor, conv: str, text: str) -> list[object]:
    return [e async for e in run_agent(principal=for_conversation(actor, conv), conversation_id=conv, user_text=text)]


async def test_knowledge_enters_the_context_and_the_answer_cites_it(actor: Actor, llm_server) -> None:  # type: ignore[no-untyped-def]
    agent = _agent(actor, llm_server)
    with session_scope() as s:
        (source,) = add_files(actor=actor, agent_id=agent, files=[UploadedFile("handbook.pdf", HANDBOOK)], session=s)
    await run_pending()
    conv = _conversation(actor, agent)
    events = await _run(actor, conv, "What is the door code of the Lisbon branch?")
    sent = llm_server.chat_requests[-1].json["messages"]
    assert [m["role"] for m in sent] == ["system", "system", "user"]
    assert "4417" in sent[1]["content"] and "[1] (document: handbook.pdf, p. 2)" in sent[1]["content"]
    citations = [e for e in events if isinstance(e, Citation)]
    assert citations and citations[0].source_id == source.id and citations[0].location == "p. 2"
    assert "4417" in citations[0].snippet and citations[0].label == "1"
    done = events[-1]
    assert isinstance(done, RunDone) and done.status == "succeeded"
    with session_scope() as s:
        stored = list_citations(actor=actor, conversation_id=conv, session=s)
    assert [(c.source_id, c.label) for c in stored[done.assistant_message_id or ""]] == [
        (c.source_id, c.label) for c in citations
    ]


async def test_without_knowledge_the_context_is_unchanged(actor: Actor, llm_server) -> None:  # type: ignore[no-untyped-def]
    conv = _conversation(actor, _agent(actor, llm_server))
    events = await _run(actor, conv, "hello")
    assert [m["role"] for m in llm_server.chat_requests[-1].json["messages"]] == ["system", "user"]
    assert not any(isinstance(e, Citation) for e in events)


async def test_memories_reach_later_conversations_of_the_same_user_only(
    actor: Actor, make_actor: Callable[[], Actor], llm_server
) -> None:  # type: ignore[no-untyped-def]
    agent = _agent(actor, llm_server)
    with session_scope() as s:
        update_memory_settings(actor=actor, agent_id=agent, enabled=True, max_age_days=None, max_rows=None, session=s)
    await _run(actor, _conversation(actor, agent), "My favourite colour is teal.")
    await _run(actor, _conversation(actor, agent), "What is my favourite colour?")
    context = llm_server.chat_requests[-1].json["messages"][1]["content"]
    assert "(memory:" in context and "favourite colour is teal" in context

    other = make_actor()
    with session_scope() as s:
        s.add(Membership(workspace_id=actor.workspace_id, user_id=other.user_id, role="builder"))
    teammate = Actor(user_id=other.user_id, workspace_id=actor.workspace_id)
    await _run(teammate, _conversation(teammate, agent), "What is my favourite colour?")
    assert all("teal" not in m["content"] for m in llm_server.chat_requests[-1].json["messages"])
