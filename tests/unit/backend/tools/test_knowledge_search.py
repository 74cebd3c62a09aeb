"""The knowledge_search tool: JSON-schema description and tenant-scoped results."""

from __future__ import annotations

from collections.abc import Callable

import pytest

from backend.accounts.actor import Actor, NotFound
from backend.db import session_scope
from backend.memory.knowledge import add_text
from backend.memory.worker import run_pending
from backend.tools.knowledge_search import KNOWLEDGE_SEARCH_SCHEMA, ToolContext, knowledge_search


def _agent(actor: Actor) -> str:
    from backend.agents.service import create_agent
    from backend.connections.service import create_connection
    from backend.models import BlueprintFields

    with session_scope() as s:
        conn = create_connection(
            actor=actor,
            name="L",
            provider="openai_compatible",
            api_key=None,
            base_url="http://127.0.0.1:9/v1",
            session=s,
        )
        return create_agent(actor=actor, fields=BlueprintFields(name="A", connection_id=conn.id, model="m"), session=s)


def test_schema_is_an_openai_function() -> None:
    fn = KNOWLEDGE_SEARCH_SCHEMA["function"]
    assert fn["name"] == "knowledge_search" and fn["parameters"]["required"] == ["query"]
    assert fn["parameters"]["properties"]["k"]["maximum"] == 10


async def test_returns_passages_with_source_ids_only_for_the_context_tenant(make_actor: Callable[[], Actor]) -> None:
    alice, bob = make_actor(), make_actor()
    agent = _agent(alice)
    with session_scope() as s:
        source = add_text(
            actor=alice, agent_id=agent, title="Kitchen", text="The coffee machine descales on Fridays.", session=s
        )
    await run_pending()
    result = await knowledge_search("coffee machine", k=50, context=ToolContext(alice, agent))
    (passage,) = result["passages"]
    assert passage["source_id"] == source.id and passage["title"] == "Kitchen" and "Fridays" in passage["text"]
    with pytest.raises(NotFound):
        await knowledge_search("coffee machine", context=ToolContext(bob, agent))
