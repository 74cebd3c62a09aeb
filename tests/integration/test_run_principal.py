"""A user of another workspace holding a grant runs an agent: the owner's connection and knowledge
serve, the conversation and memory are the grantee's alone, usage is charged to the owner, and
nothing of the agent's configuration or secrets is readable by the grantee."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from sqlmodel import Session, select

from backend.accounts.actor import Actor, NotFound, PermissionDenied
from backend.accounts.principal import RunPrincipal, principal_for_grant, principal_for_member
from backend.agents.service import create_agent, get_blueprint, list_versions
from backend.chat.principal import (
    conversation_for,
    create_conversation_for,
    list_conversations_for,
    messages_for,
)
from backend.chat.service import get_conversation, get_messages, list_conversations
from backend.connections.service import create_connection, list_connections, resolve_credentials
from backend.db import session_scope
from backend.memory.conversation import export_memories, update_memory_settings
from backend.memory.knowledge import add_text, list_sources
from backend.memory.worker import run_pending
from backend.models import AgentGrant, BillingOutbox, BlueprintFields, CustomTool, Run, UsageRecord
from backend.models.common import utcnow
from backend.models.tools import CustomToolCreate
from backend.runtime.events import RunDone, RunStarted
from backend.runtime.run import run_agent
from backend.tools.custom import create_custom_tool, delete_custom_tool, list_custom_tools
from tests.support.llm_server import LLMTestServer

INSTRUCTIONS = "You are the Lisbon office assistant. Secret sauce: zebra-42."
KNOWLEDGE = "The door code of the Lisbon branch is 4417. Deliveries arrive on Tuesdays."
TOOL_SECRET = "tool-secret-value-123456"


def _owner_agent(owner: Actor, server: LLMTestServer) -> tuple[str, str, str]:
    """An agent with the owner's connection, instructions, knowledge, memory on and a custom tool."""
    with session_scope() as s:
        conn = create_connection(
            actor=owner,
            name="Owner's key",
            provider="openai_compatible",
            api_key=server.api_key,
            base_url=server.base_url,
            session=s,
        )
        fields = BlueprintFields(name="Lisbon", connection_id=conn.id, model="test-model", instructions=INSTRUCTIONS)
        agent = create_agent(actor=owner, fields=fields, session=s)
        add_text(actor=owner, agent_id=agent, title="Office facts", text=KNOWLEDGE, session=s)
        update_memory_settings(actor=owner, agent_id=agent, enabled=True, max_age_days=None, max_rows=None, session=s)
        tool = create_custom_tool(
            actor=owner,
            data=CustomToolCreate(
                name="crm",
                description="Look up a customer.",
                url_template="https://crm.example.com/x",
                auth_header="Authorization",
                auth_secret=TOOL_SECRET,
            ),
            session=s,
        )
        return agent, conn.id, tool.id


def _grant(agent: str, owner: Actor, grantee: Actor) -> str:
    with session_scope() as s:
        grant = AgentGrant(agent_id=agent, owner_workspace_id=owner.workspace_id, grantee_user_id=grantee.user_id)
        s.add(grant)
        s.flush()
        return grant.id


def _principal(user_id: str, agent: str) -> RunPrincipal:
    with session_scope() as s:
        return principal_for_grant(user_id, agent, s)


async def _turn(principal: RunPrincipal, text: str, conv: str | None = None) -> tuple[str, list[Any]]:
    if conv is None:
        with session_scope() as s:
            conv = create_conversation_for(principal=principal, session=s).id
    events = [e async for e in run_agent(principal=principal, conversation_id=conv, user_text=text)]
    return conv, events


def _raises(fn: Callable[[Session], object]) -> None:
    """``fn(session)`` is refused (NotFound or PermissionDenied)."""
    with pytest.raises((NotFound, PermissionDenied)), session_scope() as s:
        fn(s)


async def test_a_grantee_runs_the_owners_agent_privately_and_the_owner_pays(
    make_actor: Callable[[], Actor], llm_server: LLMTestServer
) -> None:
    owner, grantee, other = make_actor(), make_actor(), make_actor()
    agent, connection_id, tool_id = _owner_agent(owner, llm_server)
    await run_pending()  # index the knowledge
    grant_id = _grant(agent, owner, grantee)
    _grant(agent, owner, other)
    principal = _principal(grantee.user_id, agent)
    assert (principal.owner_workspace_id, principal.end_user_id) == (owner.workspace_id, grantee.user_id)
    assert (principal.caller.kind, principal.caller.id, principal.caller.user_id) == (
        "grant",
        grant_id,
        grantee.user_id,
    )

    # The owner's connection, instructions and knowledge serve the grantee's run.
    conv, events = await _turn(principal, "What is the door code? My favourite colour is teal.")
    assert isinstance(events[-1], RunDone) and events[-1].status == "succeeded"
    sent = llm_server.chat_requests[-1].json["messages"]
    assert sent[0]["content"].startswith(INSTRUCTIONS) and "4417" in sent[1]["content"]
    run_id = next(e.run_id for e in events if isinstance(e, RunStarted))

    # Usage is charged to the owner workspace, with the grantee as end user and the grant as caller.
    with session_scope() as s:
        run = s.get(Run, run_id)
        (record,) = s.exec(select(UsageRecord).where(UsageRecord.run_id == run_id)).all()
        outbox = s.exec(select(BillingOutbox).where(BillingOutbox.usage_record_id == record.id)).one()
    assert run is not None and (run.workspace_id, run.user_id, run.agent_id) == (
        owner.workspace_id,
        grantee.user_id,
        agent,
    )
    assert (record.workspace_id, record.agent_id, record.end_user_id) == (owner.workspace_id, agent, grantee.user_id)
    assert (record.caller_kind, record.caller_id, record.connection_id) == ("grant", grant_id, connection_id)
    assert outbox.workspace_id == owner.workspace_id and run.prompt_tokens == record.prompt_tokens > 0

    # The grantee's memory reaches their own next conversation, and nobody else's.
    await _turn(principal, "What is my favourite colour?")
    assert "teal" in llm_server.chat_requests[-1].json["messages"][1]["content"]
    await _turn(_principal(other.user_id, agent), "What is my favourite colour?")
    assert all("teal" not in m["content"] for m in llm_server.chat_requests[-1].json["messages"])
    with session_scope() as s:
        owner_principal = principal_for_member(owner, agent, s)
    await _turn(owner_principal, "What is my favourite colour?")
    assert all("teal" not in m["content"] for m in llm_server.chat_requests[-1].json["messages"])

    # The conversation is the grantee's: not the owner's (member path), not another grantee's.
    other_principal = _principal(other.user_id, agent)
    with session_scope() as s:
        assert [c.id for c in list_conversations_for(principal=principal, session=s)][-1] == conv
        assert conv not in [c.id for c in list_conversations(actor=owner, agent_id=agent, session=s)]
        assert conv not in [c.id for c in list_conversations_for(principal=other_principal, session=s)]
        assert messages_for(principal=principal, conversation_id=conv, session=s)[0].content.startswith("What is")
    _raises(lambda s: get_conversation(actor=owner, conversation_id=conv, session=s))
    _raises(lambda s: get_messages(actor=owner, conversation_id=conv, session=s))
    _raises(lambda s: conversation_for(principal=other_principal, conversation_id=conv, session=s))
    _raises(lambda s: export_memories(actor=owner, agent_id=agent, end_user_id=grantee.user_id, session=s))

    # The grantee reads nothing of the agent: instructions, knowledge, connection, tool secrets.
    for who in (grantee, Actor(user_id=grantee.user_id, workspace_id=owner.workspace_id)):
        _raises(lambda s, who=who: get_blueprint(actor=who, agent_id=agent, session=s))
        _raises(lambda s, who=who: list_versions(actor=who, agent_id=agent, session=s))
        _raises(lambda s, who=who: list_sources(actor=who, agent_id=agent, session=s))
        _raises(lambda s, who=who: resolve_credentials(actor=who, connection_id=connection_id, session=s))
        _raises(lambda s, who=who: delete_custom_tool(actor=who, tool_id=tool_id, session=s))
        _raises(lambda s, who=who: export_memories(actor=who, agent_id=agent, session=s))
    inside = Actor(user_id=grantee.user_id, workspace_id=owner.workspace_id)
    _raises(lambda s: list_connections(actor=inside, session=s))
    _raises(lambda s: list_custom_tools(actor=inside, session=s))
    _raises(lambda s: principal_for_member(inside, agent, s))
    with session_scope() as s:
        assert s.get(CustomTool, tool_id) is not None


def test_no_grant_or_a_revoked_grant_runs_nothing(make_actor: Callable[[], Actor], llm_server: LLMTestServer) -> None:
    owner, stranger = make_actor(), make_actor()
    agent, _, _ = _owner_agent(owner, llm_server)
    _raises(lambda s: principal_for_grant(stranger.user_id, agent, s))
    grant_id = _grant(agent, owner, stranger)
    assert _principal(stranger.user_id, agent).caller.id == grant_id
    with session_scope() as s:
        grant = s.get(AgentGrant, grant_id)
        assert grant is not None
        grant.revoked_at = utcnow()
        s.add(grant)
    _raises(lambda s: principal_for_grant(stranger.user_id, agent, s))
