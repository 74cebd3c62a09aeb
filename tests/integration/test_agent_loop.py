"""Done-when, at the service level: an agent with ``create_task`` and ``http_request`` for one
domain is asked to file a task and to fetch a forbidden address. The task exists, the refusal is
a step of the run (and reached the model), and both calls are in the agent's audit log."""

from __future__ import annotations

import json

from backend.accounts.actor import Actor
from backend.db import session_scope
from backend.runtime.events import RunDone, TextDelta, ToolCallFinished, ToolCallStarted
from backend.runtime.steps import list_steps
from backend.tools.audit import list_audit
from backend.tools.tasks import list_tasks
from tests.support import agents as h
from tests.support.llm_server import LLMTestServer


async def test_agent_files_a_task_and_is_refused_a_forbidden_address(actor: Actor, llm_server: LLMTestServer) -> None:
    agent = h.agent(
        actor, h.connection(actor, llm_server), tools=["create_task", "http_request"], allowed_domains=["example.com"]
    )
    conv = h.conversation(actor, agent)
    llm_server.script = [
        {
            "tool_calls": [
                h.call("create_task", {"title": "Renew the office lease", "due_date": "2026-06-30"}),
                h.call("http_request", {"url": "http://169.254.169.254/latest/meta-data/"}),
            ]
        },
        {"content": "I filed the task. I was not allowed to fetch that address."},
    ]
    events = await h.run(actor, conv, "File a task to renew the lease and fetch http://169.254.169.254/")
    started = [e for e in events if isinstance(e, ToolCallStarted)]
    finished = {e.step_id: e for e in events if isinstance(e, ToolCallFinished)}
    assert [s.tool_name for s in started] == ["create_task", "http_request"]
    assert finished[started[0].step_id].status == "ok"
    refusal = finished[started[1].step_id]
    assert refusal.status == "denied" and "169.254.169.254" in refusal.summary
    tool_results = [json.loads(m["content"]) for m in llm_server.received_messages[1] if m["role"] == "tool"]
    assert tool_results[1]["status"] == "denied"
    assert "not allowed" in "".join(e.text for e in events if isinstance(e, TextDelta))
    assert isinstance(events[-1], RunDone) and events[-1].status == "succeeded"
    with session_scope() as s:
        tasks = list_tasks(actor=actor, session=s)
        audit = list_audit(actor=actor, agent_id=agent, run_id=events[0].run_id, session=s)
        steps = list_steps(actor=actor, conversation_id=conv, session=s)[events[-1].assistant_message_id]
    assert [(t.title, t.agent_id) for t in tasks] == [("Renew the office lease", agent)]
    assert sorted((a.tool_name, a.status) for a in audit) == [("create_task", "ok"), ("http_request", "denied")]
    assert [(st.tool_name, st.status) for st in steps] == [("create_task", "ok"), ("http_request", "denied")]
