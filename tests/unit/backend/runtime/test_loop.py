"""The tool loop against the local OpenAI-compatible server issuing (streamed) tool calls."""

from __future__ import annotations

import asyncio
import json
import time
from typing import Any

from sqlmodel import col, select

from backend.accounts.actor import Actor
from backend.chat.service import get_messages
from backend.db import session_scope
from backend.models import Run, UsageRecord
from backend.runtime.events import (
    RunDone,
    RunStarted,
    TextDelta,
    ToolCallFinished,
    ToolCallStarted,
    UsageReport,
)
from backend.runtime.loop import STEP_LIMIT_TEXT, RunOptions
from backend.runtime.steps import list_steps
from backend.tools.audit import list_audit
from backend.tools.base import Tool, ToolContext, object_schema
from backend.tools.registry import ToolRegistry
from backend.tools.tasks import list_tasks
from tests.support import agents as h
from tests.support.llm_server import LLMTestServer


def _of(events: list[Any], kind: type) -> list[Any]:
    return [e for e in events if isinstance(e, kind)]


def _text(events: list[Any]) -> str:
    return "".join(e.text for e in _of(events, TextDelta))


async def test_tool_call_runs_and_its_result_goes_back_to_the_model(actor: Actor, llm_server: LLMTestServer) -> None:
    agent = h.agent(actor, h.connection(actor, llm_server), tools=["create_task"])
    conv = h.conversation(actor, agent)
    llm_server.script = [
        {"tool_calls": [h.call("create_task", {"title": "Renew the office lease"}, "call_a")]},
        {"content": "Done! The task is filed."},
    ]
    events = await h.run(actor, conv, "File a task to renew the lease")
    assert isinstance(events[0], RunStarted) and isinstance(events[-1], RunDone)
    assert events[-1].status == "succeeded"
    [started] = _of(events, ToolCallStarted)
    [finished] = _of(events, ToolCallFinished)
    assert (started.tool_name, started.title, started.call_id, started.depth) == (
        "create_task",
        "Create task",
        "call_a",
        0,
    )
    assert json.loads(started.arguments) == {"title": "Renew the office lease"}
    assert finished.step_id == started.step_id and finished.status == "ok" and finished.output_preview
    assert events.index(started) < events.index(finished) < events.index(_of(events, TextDelta)[0])
    assert _text(events) == "Done! The task is filed."
    # the model got the tool spec, then the assistant tool call and the tool result
    assert [t["function"]["name"] for t in llm_server.received_tools[0] or []] == ["create_task"]
    second = llm_server.received_messages[1]
    assert second[-2]["role"] == "assistant" and second[-2]["tool_calls"][0]["id"] == "call_a"
    assert second[-1]["role"] == "tool" and second[-1]["tool_call_id"] == "call_a"
    assert json.loads(second[-1]["content"])["created"]["title"] == "Renew the office lease"
    # usage: both model calls of the run, summed on the run
    [usage] = _of(events, UsageReport)
    with session_scope() as s:
        tasks = list_tasks(actor=actor, session=s)
        records = s.exec(select(UsageRecord).where(UsageRecord.run_id == events[0].run_id)).all()
        run = s.get(Run, events[0].run_id)
        steps = list_steps(actor=actor, conversation_id=conv, session=s)
        messages = get_messages(actor=actor, conversation_id=conv, session=s)
    assert [t.title for t in tasks] == ["Renew the office lease"]
    assert len(records) == 2
    assert usage.completion_tokens == sum(r.completion_tokens for r in records)
    assert usage.prompt_tokens == sum(r.prompt_tokens for r in records)
    assert run is not None and run.completion_tokens == usage.completion_tokens and run.status == "succeeded"
    [(message_id, [step])] = steps.items()
    assert message_id == messages[-1].id and step.step_id == started.step_id and step.status == "ok"


async def test_a_tool_outside_the_allowlist_is_denied_and_the_run_continues(
    actor: Actor, llm_server: LLMTestServer
) -> None:
    agent = h.agent(actor, h.connection(actor, llm_server), tools=["calculator"])
    conv = h.conversation(actor, agent)
    llm_server.script = [{"tool_calls": [h.call("create_task", {"title": "Sneaky"})]}, {"content": "I can't."}]
    events = await h.run(actor, conv, "Create a task")
    [finished] = _of(events, ToolCallFinished)
    assert finished.status == "denied" and "not enabled for this agent" in finished.summary
    assert events[-1].status == "succeeded" and _text(events) == "I can't."
    tool_message = llm_server.received_messages[1][-1]
    assert json.loads(tool_message["content"])["status"] == "denied"
    with session_scope() as s:
        assert list_tasks(actor=actor, session=s) == []
        audit = list_audit(actor=actor, agent_id=agent, run_id=events[0].run_id, session=s)
    assert [(a.tool_name, a.status) for a in audit] == [("create_task", "denied")]


async def test_schema_errors_unknown_tools_and_bad_json_go_back_as_tool_errors(
    actor: Actor, llm_server: LLMTestServer
) -> None:
    agent = h.agent(actor, h.connection(actor, llm_server), tools=["create_task"])
    conv = h.conversation(actor, agent)
    llm_server.script = [
        {
            "tool_calls": [
                h.call("create_task", {"due_date": "tomorrow"}),
                h.call("launch_rockets", {"count": 3}),
                h.call("create_task", '{"title": "unclosed'),
            ]
        },
        {"content": "Sorry."},
    ]
    events = await h.run(actor, conv, "go")
    statuses = [(e.status, e.summary) for e in _of(events, ToolCallFinished)]
    assert [s for s, _ in statuses] == ["error", "error", "error"]
    assert "Invalid arguments for create_task" in statuses[0][1]
    assert "Unknown tool 'launch_rockets'" in statuses[1][1]
    assert "not valid JSON" in statuses[2][1]
    results = [m for m in llm_server.received_messages[1] if m["role"] == "tool"]
    assert len(results) == 3 and all(json.loads(m["content"])["status"] == "error" for m in results)
    assert events[-1].status == "succeeded"


def _sleeper(
    name: str, seconds: float, timeout_s: float = 10.0, spans: list[tuple[float, float]] | None = None
) -> Tool:
    async def handler(arguments: dict[str, Any], context: ToolContext) -> dict[str, Any]:
        began = time.perf_counter()
        await asyncio.sleep(seconds)
        if spans is not None:
            spans.append((began, time.perf_counter()))
        return {"slept": seconds}

    return Tool(
        name=name,
        description=f"Sleeps {seconds} s.",
        parameters=object_schema({}),
        handler=handler,
        timeout_s=timeout_s,
        title=name.title(),
    )


async def test_a_slow_tool_times_out_and_the_model_is_told(actor: Actor, llm_server: LLMTestServer) -> None:
    registry = ToolRegistry([_sleeper("slow_tool", 5.0, timeout_s=0.2)])
    agent = h.agent(actor, h.connection(actor, llm_server), raw_tools=["slow_tool"])
    conv = h.conversation(actor, agent)
    llm_server.script = [{"tool_calls": [h.call("slow_tool")]}, {"content": "It timed out."}]
    began = time.perf_counter()
    events = await h.run(actor, conv, "go", RunOptions(registry=registry))
    assert time.perf_counter() - began < 4
    [finished] = _of(events, ToolCallFinished)
    assert finished.status == "timeout" and "0.2 s" in finished.summary
    assert json.loads(llm_server.received_messages[1][-1]["content"])["status"] == "timeout"
    assert events[-1].status == "succeeded"


async def test_several_calls_in_one_turn_run_concurrently(actor: Actor, llm_server: LLMTestServer) -> None:
    spans: list[tuple[float, float]] = []
    registry = ToolRegistry([_sleeper("nap_one", 0.5, spans=spans), _sleeper("nap_two", 0.5, spans=spans)])
    agent = h.agent(actor, h.connection(actor, llm_server), raw_tools=["nap_one", "nap_two"])
    conv = h.conversation(actor, agent)
    llm_server.script = [{"tool_calls": [h.call("nap_one"), h.call("nap_two")]}, {"content": "Rested."}]
    events = await h.run(actor, conv, "go", RunOptions(registry=registry))
    kinds = [type(e).__name__ for e in events if isinstance(e, ToolCallStarted | ToolCallFinished)]
    assert kinds == ["ToolCallStarted", "ToolCallStarted", "ToolCallFinished", "ToolCallFinished"]
    assert [e.status for e in _of(events, ToolCallFinished)] == ["ok", "ok"]
    [(start_a, end_a), (start_b, end_b)] = spans
    assert start_b < end_a and start_a < end_b  # the two 0.5 s tools ran at the same time
    with session_scope() as s:
        audit = list_audit(actor=actor, agent_id=agent, run_id=events[0].run_id, session=s)
    assert sorted(a.tool_name for a in audit) == ["nap_one", "nap_two"]


async def test_the_step_limit_asks_for_a_final_answer_without_tools(actor: Actor, llm_server: LLMTestServer) -> None:
    agent = h.agent(actor, h.connection(actor, llm_server), tools=["calculator"])
    conv = h.conversation(actor, agent)
    turn = {"tool_calls": [h.call("calculator", {"expression": "1+1"})]}
    llm_server.script = [turn, turn, {"content": "Two."}]
    events = await h.run(actor, conv, "add", RunOptions(max_steps=2))
    assert len(_of(events, ToolCallFinished)) == 2
    tools = llm_server.received_tools
    assert len(tools) == 3 and tools[0] and tools[1] and tools[2] is None
    assert "tool steps" in llm_server.received_messages[2][-1]["content"]
    assert _text(events) == "Two." and events[-1].status == "succeeded"


async def test_the_step_limit_ends_with_a_clear_message_when_the_model_stays_silent(
    actor: Actor, llm_server: LLMTestServer
) -> None:
    agent = h.agent(actor, h.connection(actor, llm_server), tools=["calculator"])
    conv = h.conversation(actor, agent)
    llm_server.script = [{"tool_calls": [h.call("calculator", {"expression": "2*3"})]}, {"content": ""}]
    events = await h.run(actor, conv, "multiply", RunOptions(max_steps=1))
    assert _text(events) == STEP_LIMIT_TEXT.format(n=1)
    with session_scope() as s:
        messages = get_messages(actor=actor, conversation_id=conv, session=s)
        steps = s.exec(select(Run).where(col(Run.conversation_id) == conv)).one()
    assert messages[-1].content == STEP_LIMIT_TEXT.format(n=1) and steps.status == "succeeded"
