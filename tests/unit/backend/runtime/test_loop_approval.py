"""Tools that need approval pause the run; ``resume_run`` continues it (approve or deny)."""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

import pytest

from backend.accounts.actor import Actor, NotFound
from backend.chat.service import get_messages
from backend.db import session_scope
from backend.models import Run
from backend.runtime.events import ApprovalRequired, RunDone, TextDelta, ToolCallFinished, ToolCallStarted
from backend.runtime.loop import USER_DENIED
from backend.runtime.run import RunRejected
from backend.runtime.steps import list_steps
from backend.tools.audit import list_audit
from backend.tools.tasks import list_tasks
from tests.support import agents as h
from tests.support.llm_server import LLMTestServer


def _of(events: list[Any], kind: type) -> list[Any]:
    return [e for e in events if isinstance(e, kind)]


async def _paused(actor: Actor, server: LLMTestServer) -> tuple[str, str, list[Any]]:
    agent = h.agent(
        actor, h.connection(actor, server), tools=["create_task", "calculator"], approval_tools=["create_task"]
    )
    conv = h.conversation(actor, agent)
    server.script = [
        {
            "content": "Let me file that.",
            "tool_calls": [h.call("create_task", {"title": "Pay rent"}), h.call("calculator", {"expression": "6*7"})],
        },
        {"content": "All set."},
    ]
    events = await h.run(actor, conv, "File a task to pay rent")
    return agent, conv, events


async def test_approval_pauses_the_run_and_approving_runs_the_tool(actor: Actor, llm_server: LLMTestServer) -> None:
    agent, conv, events = await _paused(actor, llm_server)
    started = {e.tool_name: e for e in _of(events, ToolCallStarted)}
    [approval] = _of(events, ApprovalRequired)
    assert approval.step_id == started["create_task"].step_id and approval.title == "Create task"
    assert [(e.step_id, e.status) for e in _of(events, ToolCallFinished)] == [(started["calculator"].step_id, "ok")]
    assert events[-1] == RunDone(events[0].run_id, "awaiting_approval", events[-1].assistant_message_id)
    with session_scope() as s:
        run = s.get(Run, events[0].run_id)
        assert list_tasks(actor=actor, session=s) == []
        steps = list_steps(actor=actor, conversation_id=conv, session=s)
    assert run is not None and run.status == "awaiting_approval" and run.resume_state
    assert "Pay rent" in json.dumps(run.resume_state)
    [(message_id, rows)] = steps.items()
    assert message_id == events[-1].assistant_message_id
    assert [(r.tool_name, r.status) for r in rows] == [("create_task", "awaiting_approval"), ("calculator", "ok")]

    resumed = await h.resume(actor, events[0].run_id, {approval.step_id: True})
    [finished] = _of(resumed, ToolCallFinished)
    assert (finished.step_id, finished.status) == (approval.step_id, "ok")
    assert "".join(e.text for e in _of(resumed, TextDelta)) == "All set."
    assert resumed[-1].status == "succeeded" and resumed[-1].assistant_message_id == message_id
    tool_results = [m for m in llm_server.received_messages[-1] if m["role"] == "tool"]
    assert len(tool_results) == 2  # both results reached the model after the pause
    with session_scope() as s:
        assert [t.title for t in list_tasks(actor=actor, session=s)] == ["Pay rent"]
        messages = get_messages(actor=actor, conversation_id=conv, session=s)
        steps = list_steps(actor=actor, conversation_id=conv, session=s)
        run = s.get(Run, events[0].run_id)
        audit = list_audit(actor=actor, agent_id=agent, run_id=events[0].run_id, session=s)
    assert messages[-1].content == "Let me file that.All set."
    assert [r.status for r in steps[message_id]] == ["ok", "ok"]
    assert run is not None and run.status == "succeeded" and run.resume_state is None
    assert sorted((a.tool_name, a.status) for a in audit) == [("calculator", "ok"), ("create_task", "ok")]
    with pytest.raises(RunRejected):
        await h.resume(actor, events[0].run_id, {approval.step_id: True})


async def test_denying_tells_the_model_and_runs_nothing(actor: Actor, llm_server: LLMTestServer) -> None:
    agent, conv, events = await _paused(actor, llm_server)
    [approval] = _of(events, ApprovalRequired)
    resumed = await h.resume(actor, events[0].run_id, {approval.step_id: False})
    [finished] = _of(resumed, ToolCallFinished)
    assert (finished.status, finished.summary) == ("rejected", USER_DENIED)
    denied = [m for m in llm_server.received_messages[-1] if m["role"] == "tool"][-1]
    assert json.loads(denied["content"])["error"] == USER_DENIED
    assert resumed[-1].status == "succeeded"
    with session_scope() as s:
        assert list_tasks(actor=actor, session=s) == []
        rows = list_steps(actor=actor, conversation_id=conv, session=s)[resumed[-1].assistant_message_id]
        audit = list_audit(actor=actor, agent_id=agent, run_id=events[0].run_id, session=s)
    assert rows[0].status == "rejected"
    assert ("create_task", "denied") in [(a.tool_name, a.status) for a in audit]


async def test_only_the_runs_user_may_resume_it(
    actor: Actor, llm_server: LLMTestServer, make_actor: Callable[[], Actor]
) -> None:
    _, _, events = await _paused(actor, llm_server)
    [approval] = _of(events, ApprovalRequired)
    with pytest.raises(NotFound):
        await h.resume(make_actor(), events[0].run_id, {approval.step_id: True})
    with session_scope() as s:
        assert list_tasks(actor=actor, session=s) == []
