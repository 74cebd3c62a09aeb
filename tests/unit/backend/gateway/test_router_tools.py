"""Tool calls through the gateway: ``tools=`` reaches the provider, calls come back complete."""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

import pytest

from backend.accounts.actor import Actor
from backend.gateway.candidates import Target
from backend.gateway.router import ChatUsage, TextDelta, ToolCalls, stream_chat
from tests.support.gateway import add_agent, add_connection
from tests.support.llm_server import LLMTestServer

Kwargs = Callable[..., dict[str, Any]]
SPEC = {
    "type": "function",
    "function": {
        "name": "create_task",
        "description": "Create a task.",
        "parameters": {"type": "object", "properties": {"title": {"type": "string"}}, "required": ["title"]},
    },
}


@pytest.mark.parametrize("stream", [True, False])
async def test_tool_calls_are_joined_and_yielded_before_usage(
    actor: Actor, llm_server: LLMTestServer, chat_kwargs: Kwargs, stream: bool
) -> None:
    cid = add_connection(actor, llm_server)
    agent = add_agent(actor, cid)
    args = {"title": "Renew the office lease before the end of June", "due_date": "2026-06-30"}
    llm_server.script = [
        {"tool_calls": [{"name": "create_task", "arguments": args, "id": "c1"}, {"name": "list_tasks", "id": "c2"}]}
    ]
    kwargs = chat_kwargs(actor, [Target(cid, "gpt-4o-mini")], agent_id=agent, end_user_id=actor.user_id)
    events = [e async for e in stream_chat(stream=stream, tools=[SPEC], **kwargs)]
    assert not [e for e in events if isinstance(e, TextDelta)]
    assert isinstance(events[-2], ToolCalls) and isinstance(events[-1], ChatUsage)
    calls = events[-2].calls
    assert [(c[0], c[1]) for c in calls] == [("c1", "create_task"), ("c2", "list_tasks")]
    assert json.loads(calls[0][2]) == args and json.loads(calls[1][2]) == {}
    assert llm_server.received_tools[-1] == [SPEC]
    assert events[-1].completion_tokens > 0
    assert (events[-1].ttft_ms is not None) == stream  # the first tool-call fragment is the first token


async def test_no_tools_sends_no_tools_and_the_script_falls_back_to_the_reply(
    actor: Actor, llm_server: LLMTestServer, chat_kwargs: Kwargs
) -> None:
    cid = add_connection(actor, llm_server)
    kwargs = chat_kwargs(actor, [Target(cid, "gpt-4o-mini")])
    llm_server.script = [{"content": "Scripted answer."}]
    first = [e async for e in stream_chat(**kwargs)]
    second = [e async for e in stream_chat(**kwargs)]
    assert "".join(e.text for e in first if isinstance(e, TextDelta)) == "Scripted answer."
    assert "".join(e.text for e in second if isinstance(e, TextDelta)) == llm_server.reply
    assert llm_server.received_tools == [None, None]
