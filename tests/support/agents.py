"""Helpers for agent-loop tests: agents on the local LLM test server, runs collected as lists."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from backend.accounts.actor import Actor
from backend.agents.service import create_agent, get_blueprint
from backend.chat.service import create_conversation
from backend.connections.service import create_connection
from backend.db import session_scope
from backend.models import BlueprintFields
from backend.runtime.loop import RunOptions
from backend.runtime.resume import resume_run
from backend.runtime.run import run_agent
from tests.support.llm_server import LLMTestServer
from tests.support.principal import for_conversation, for_run


def connection(actor: Actor, server: LLMTestServer) -> str:
    """A connection of the actor's workspace to ``server``."""
    with session_scope() as s:
        return create_connection(
            actor=actor,
            name="Local",
            provider="openai_compatible",
            api_key=server.api_key,
            base_url=server.base_url,
            session=s,
        ).id


def agent(
    actor: Actor,
    connection_id: str,
    *,
    name: str = "Helper",
    tools: Sequence[str] = (),
    approval_tools: Sequence[str] = (),
    delegates: Sequence[str] = (),
    allowed_domains: Sequence[str] = (),
    raw_tools: Sequence[str] | None = None,
    plan_complex: bool = False,
) -> str:
    """Create an agent; ``raw_tools`` replaces its allowlist afterwards without validation (tools
    of a per-test registry, unknown to the builder)."""
    fields = BlueprintFields(
        name=name,
        connection_id=connection_id,
        model="test-model",
        instructions="Be brief.",
        tools=list(tools),
        approval_tools=list(approval_tools),
        delegates=list(delegates),
        allowed_domains=list(allowed_domains),
        plan_complex=plan_complex,
    )
    with session_scope() as s:
        agent_id = create_agent(actor=actor, fields=fields, session=s)
    if raw_tools is not None:
        with session_scope() as s:
            bp = get_blueprint(actor=actor, agent_id=agent_id, session=s)
            bp.tools = list(raw_tools)
            s.add(bp)
    return agent_id


def conversation(actor: Actor, agent_id: str) -> str:
    """A new conversation with ``agent_id``."""
    with session_scope() as s:
        return create_conversation(actor=actor, agent_id=agent_id, session=s).id


async def run(actor: Actor, conversation_id: str, text: str, options: RunOptions | None = None) -> list[Any]:
    """Every event of one run."""
    principal = for_conversation(actor, conversation_id)
    return [
        e
        async for e in run_agent(principal=principal, conversation_id=conversation_id, user_text=text, options=options)
    ]


async def resume(actor: Actor, run_id: str, decisions: dict[str, bool], options: RunOptions | None = None) -> list[Any]:
    """Every event of one resume."""
    principal = for_run(actor, run_id)
    return [e async for e in resume_run(principal=principal, run_id=run_id, decisions=decisions, options=options)]


def call(name: str, arguments: dict[str, Any] | str | None = None, call_id: str | None = None) -> dict[str, Any]:
    """One scripted tool call for ``LLMTestServer.script``."""
    out: dict[str, Any] = {"name": name, "arguments": {} if arguments is None else arguments}
    if call_id:
        out["id"] = call_id
    return out
