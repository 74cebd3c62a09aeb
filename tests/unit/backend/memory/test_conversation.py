"""Long-term memory: the switch, per-user isolation, forget, export, delete, stats and pruning."""

from __future__ import annotations

from collections.abc import Callable
from datetime import timedelta

import pytest

from backend.accounts.actor import Actor, NotFound, PermissionDenied
from backend.chat.service import create_conversation
from backend.db import session_scope
from backend.memory.conversation import (
    MemorySettingsError,
    delete_memories,
    export_memories,
    forget_conversation,
    get_memory_settings,
    memory_stats,
    prune_agent,
    prune_due,
    remember_exchange,
    update_memory_settings,
)
from backend.memory.retrieval import retrieve_for_run, search_plan
from backend.memory.store import Row, Scope, get_store
from backend.models import AgentMemorySettings, Membership
from backend.models.common import utcnow


def _member(owner: Actor, make_actor: Callable[[], Actor]) -> Actor:
    """A second user who is a plain member of ``owner``'s workspace."""
    other = make_actor()
    with session_scope() as s:
        s.add(Membership(workspace_id=owner.workspace_id, user_id=other.user_id, role="builder"))
    return Actor(user_id=other.user_id, workspace_id=owner.workspace_id)


def _enable(actor: Actor, agent: str, **rules: int | None) -> None:
    with session_scope() as s:
        update_memory_settings(
            actor=actor,
            agent_id=agent,
            enabled=True,
            max_age_days=rules.get("max_age_days"),
            max_rows=rules.get("max_rows"),
            session=s,
        )


async def _remember(actor: Actor, agent: str, user_text: str, answer: str) -> tuple[str, str | None]:
    with session_scope() as s:
        conv = create_conversation(actor=actor, agent_id=agent, session=s).id
    memory_id = await remember_exchange(
        workspace_id=actor.workspace_id,
        agent_id=agent,
        end_user_id=actor.user_id,
        conversation_id=conv,
        run_id="r1",
        user_text=user_text,
        answer=answer,
    )
    return conv, memory_id


async def _recall(actor: Actor, agent: str, query: str) -> list[str]:
    with session_scope() as s:  # as a run reads it when it starts
        plan = search_plan(actor.workspace_id, agent, s)
    passages = await retrieve_for_run(
        workspace_id=actor.workspace_id, agent_id=agent, end_user_id=actor.user_id, query=query, plan=plan
    )
    return [p.text for p in passages if p.kind == "memory"]


async def test_nothing_is_remembered_while_the_switch_is_off(actor: Actor, make_agent: Callable[..., str]) -> None:
    agent = make_agent(actor)
    with session_scope() as s:
        assert get_memory_settings(actor=actor, agent_id=agent, session=s).enabled is False
    _conv, memory_id = await _remember(actor, agent, "My dog is called Biscuit", "Nice name!")
    assert memory_id is None and await _recall(actor, agent, "dog name") == []


async def test_memories_come_back_in_later_conversations_of_the_same_user_only(
    actor: Actor, make_actor: Callable[[], Actor], make_agent: Callable[..., str]
) -> None:
    agent = make_agent(actor)
    _enable(actor, agent)
    teammate = _member(actor, make_actor)
    await _remember(actor, agent, "My dog is called Biscuit", "Biscuit is a lovely name.")
    await _remember(teammate, agent, "My cat is called Pixel", "Pixel, noted.")
    assert any("Biscuit" in t for t in await _recall(actor, agent, "what is my dog called"))
    assert all("Biscuit" not in t for t in await _recall(teammate, agent, "what is my dog called Biscuit"))
    assert any("Pixel" in t for t in await _recall(teammate, agent, "cat called"))
    # Another agent of the same workspace does not see them either.
    other_agent = _agent_in(actor)
    _enable(actor, other_agent)
    assert await _recall(actor, other_agent, "dog called Biscuit") == []


def _agent_in(actor: Actor) -> str:
    from backend.agents.service import create_agent
    from backend.connections.service import create_connection
    from backend.models import BlueprintFields

    with session_scope() as s:
        conn = create_connection(
            actor=actor,
            name="Second",
            provider="openai_compatible",
            api_key=None,
            base_url="http://127.0.0.1:9/v1",
            session=s,
        )
        return create_agent(
            actor=actor, fields=BlueprintFields(name="Other", connection_id=conn.id, model="m"), session=s
        )


async def test_forget_export_and_delete(
    actor: Actor, make_actor: Callable[[], Actor], make_agent: Callable[..., str]
) -> None:
    agent = make_agent(actor)
    _enable(actor, agent)
    conv1, _ = await _remember(actor, agent, "I live in Porto", "Porto is beautiful.")
    await _remember(actor, agent, "I work as a nurse", "Thank you for your work.")
    with session_scope() as s:
        exported = export_memories(actor=actor, agent_id=agent, session=s)
    assert [e["text"].splitlines()[0] for e in exported] == ["User: I live in Porto", "User: I work as a nurse"]
    assert (
        set(exported[0]) == {"id", "conversation_id", "run_id", "text", "created_at"}
        and exported[0]["conversation_id"] == conv1
    )
    teammate = _member(actor, make_actor)
    with session_scope() as s:
        with pytest.raises(NotFound):
            forget_conversation(actor=teammate, conversation_id=conv1, session=s)
        with pytest.raises(PermissionDenied):
            export_memories(actor=teammate, agent_id=agent, end_user_id=actor.user_id, session=s)
        # the owner may export a member's memories (e.g. a data request)
        assert export_memories(actor=actor, agent_id=agent, end_user_id=teammate.user_id, session=s) == []
        forget_conversation(actor=actor, conversation_id=conv1, session=s)
    assert await _recall(actor, agent, "where do I live Porto") == []
    assert any("nurse" in t for t in await _recall(actor, agent, "my job nurse"))
    with session_scope() as s:
        assert delete_memories(actor=actor, agent_id=agent, session=s) == 1
        assert export_memories(actor=actor, agent_id=agent, session=s) == []


async def test_stats_count_rows_and_bytes(actor: Actor, make_agent: Callable[..., str]) -> None:
    agent = make_agent(actor)
    _enable(actor, agent)
    with session_scope() as s:
        empty = memory_stats(actor=actor, agent_id=agent, session=s)
    assert (empty.memory_rows, empty.knowledge_rows, empty.last_indexed_at) == (0, 0, None)
    await _remember(actor, agent, "Привіт", "Вітаю!")
    with session_scope() as s:
        stats = memory_stats(actor=actor, agent_id=agent, session=s)
    assert stats.memory_rows == 1 and stats.memory_bytes == len("User: Привіт\nAssistant: Вітаю!".encode())
    assert stats.last_indexed_at is not None


async def test_pruning_by_age_and_rows_per_user(actor: Actor, make_agent: Callable[..., str]) -> None:
    agent = make_agent(actor)
    _enable(actor, agent, max_age_days=30, max_rows=3)
    scope = Scope.memories(actor.workspace_id, agent, actor.user_id)
    other = Scope.memories(actor.workspace_id, agent, "someone-else")
    now = utcnow()
    old = [Row(text=f"old {i}", source_id="c", created_at=now - timedelta(days=40 + i)) for i in range(2)]
    recent = [Row(text=f"recent {i}", source_id="c", created_at=now - timedelta(hours=i)) for i in range(5)]
    get_store().add("memory", scope, old + recent)
    get_store().add("memory", other, [Row(text="theirs", source_id="d")])
    assert prune_due() >= 4
    left = sorted(r["text"] for r in get_store().scan("memory", scope))
    assert left == ["recent 0", "recent 1", "recent 2"]
    assert [r["text"] for r in get_store().scan("memory", other)] == ["theirs"]
    with session_scope() as s:
        row = s.get(AgentMemorySettings, agent)
        assert row is not None and row.pruned_at is not None
        assert prune_agent(row) == 0


def test_invalid_rules_are_refused(actor: Actor, make_agent: Callable[..., str]) -> None:
    agent = make_agent(actor)
    with session_scope() as s, pytest.raises(MemorySettingsError):
        update_memory_settings(actor=actor, agent_id=agent, enabled=True, max_age_days=0, max_rows=None, session=s)
