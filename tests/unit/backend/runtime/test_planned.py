"""Planner mode end to end on the run path: a plan is stored and streamed, its steps run as
read-only executors, results feed the next steps and the synthesis, failures are reported,
bad plans fall back to a direct answer, simple requests skip planning, and every call is the run's."""

from __future__ import annotations

import json
from typing import Any

from sqlmodel import col, select

from backend.accounts.actor import Actor
from backend.agents.service import get_blueprint
from backend.db import session_scope
from backend.models import Message, Plan, PlanStep, UsageRecord
from backend.runtime.events import (
    PlanCreated,
    PlanStepUpdated,
    RunDone,
    TextDelta,
    ToolCallFinished,
    ToolCallStarted,
    UsageReport,
)
from backend.runtime.plans import list_plans
from backend.tools.tasks import list_tasks
from tests.support import agents as h
from tests.support.llm_server import LLMTestServer


def _of(events: list[Any], kind: type) -> list[Any]:
    return [e for e in events if isinstance(e, kind)]


def _names(tools: list[dict[str, Any]] | None) -> list[str]:
    return [t["function"]["name"] for t in tools or []]


def _plan(*steps: tuple[str, str, list[str]]) -> dict[str, Any]:
    body = {"complex": True, "steps": [{"goal": g, "agent": a, "tools": t} for g, a, t in steps]}
    return {"content": json.dumps(body)}


def _system_text(messages: list[dict[str, Any]]) -> str:
    return "\n".join(str(m.get("content")) for m in messages if m["role"] == "system")


async def test_a_plan_is_stored_streamed_and_run_by_read_only_executors(
    actor: Actor, llm_server: LLMTestServer
) -> None:
    conn = h.connection(actor, llm_server)
    agent = h.agent(
        actor, conn, name="Planner", tools=["calculator", "current_datetime", "create_task"], plan_complex=True
    )
    conv = h.conversation(actor, agent)
    llm_server.script = [
        _plan(("Compute 6*7", "self", ["calculator"]), ("Say what time it is", "self", ["current_datetime"])),
        {"tool_calls": [h.call("create_task", {"title": "Sneaky"}), h.call("calculator", {"expression": "6*7"})]},
        {"content": "6*7 = 42"},
        {"content": "It is noon."},
        {"content": "The answer is 42, and it is noon."},
    ]
    events = await h.run(actor, conv, "What is 6*7, and what time is it?")
    received = llm_server.received_messages
    # the planning call: the executors and their read-only tools are offered, write tools are not
    assert "calculator, current_datetime" in _system_text(received[0]) and "create_task" not in _system_text(
        received[0]
    )
    # executors get only their step's read tools; a write tool the model calls anyway is refused
    assert _names(llm_server.received_tools[1]) == ["calculator"]
    assert _names(llm_server.received_tools[3]) == ["current_datetime"]
    [created] = _of(events, PlanCreated)
    assert [(s.position, s.goal, s.agent, s.tools) for s in created.steps] == [
        (1, "Compute 6*7", "Planner", ("calculator",)),
        (2, "Say what time it is", "Planner", ("current_datetime",)),
    ]
    updates = [(u.position, u.status) for u in _of(events, PlanStepUpdated)]
    assert updates == [(1, "running"), (1, "done"), (2, "running"), (2, "done")]
    started = _of(events, ToolCallStarted)
    finished = {e.step_id: e for e in _of(events, ToolCallFinished)}
    assert [(s.tool_name, s.depth, s.parent_step_id) for s in started] == [
        ("create_task", 1, created.steps[0].step_id),
        ("calculator", 1, created.steps[0].step_id),
    ]
    assert finished[started[0].step_id].status == "denied"
    assert finished[started[1].step_id].status == "ok"
    # results feed the next step and the synthesis, which has the planner's write tools again
    assert "6*7 = 42" in received[3][-1]["content"]
    assert "Step 1 (done) — Compute 6*7: 6*7 = 42" in _system_text(received[4])
    assert "create_task" in _names(llm_server.received_tools[4])
    assert "".join(e.text for e in _of(events, TextDelta)) == "The answer is 42, and it is noon."
    done = events[-1]
    assert isinstance(done, RunDone) and done.status == "succeeded"
    with session_scope() as s:
        assert list_tasks(actor=actor, session=s) == []
        plans = list_plans(actor=actor, conversation_id=conv, session=s)
        records = s.exec(select(UsageRecord).where(UsageRecord.run_id == done.run_id)).all()
    plan = plans[done.assistant_message_id or ""]
    assert plan.status == "done" and plan.run_id == done.run_id
    assert [(st.goal, st.status, st.summary) for st in plan.steps] == [
        ("Compute 6*7", "done", "6*7 = 42"),
        ("Say what time it is", "done", "It is noon."),
    ]
    # every call (planning, executors, synthesis) is charged to this run
    [usage] = _of(events, UsageReport)
    assert len(records) == 5 and {r.agent_id for r in records} == {agent}
    assert usage.prompt_tokens == sum(r.prompt_tokens for r in records)


async def test_a_failing_step_is_reported_and_the_answer_says_so(actor: Actor, llm_server: LLMTestServer) -> None:
    conn = h.connection(actor, llm_server)
    pricing = h.agent(actor, conn, name="Pricing bot")
    with session_scope() as s:  # its model is gone from the provider: every call of it fails
        bp = get_blueprint(actor=actor, agent_id=pricing, session=s)
        bp.model = "retired-model"
        s.add(bp)
    agent = h.agent(actor, conn, name="Planner", tools=["calculator"], delegates=[pricing], plan_complex=True)
    conv = h.conversation(actor, agent)
    llm_server.script = [
        _plan(("Look up the price of a widget", "Pricing bot", []), ("Compute 3*14", "self", ["calculator"])),
        {"content": "3*14 = 42"},
        {"content": "The total would be 42, but I could not get the widget price."},
    ]
    events = await h.run(actor, conv, "Price a widget and compute 3*14")
    updates = [(u.position, u.status) for u in _of(events, PlanStepUpdated)]
    assert updates == [(1, "running"), (1, "failed"), (2, "running"), (2, "done")]
    failed = _of(events, PlanStepUpdated)[1]
    assert failed.summary.startswith("Pricing bot could not answer")
    synthesis = llm_server.received_messages[-1]
    assert "Step 1 (FAILED) — Look up the price of a widget: Pricing bot could not answer" in _system_text(synthesis)
    answer = "".join(e.text for e in _of(events, TextDelta))
    assert answer.startswith("The total would be 42")
    assert "Not completed: step 1 (Look up the price of a widget) failed" in answer
    done = events[-1]
    assert done.status == "succeeded"
    with session_scope() as s:
        stored = s.get(Message, done.assistant_message_id)
        plan = s.exec(select(Plan).where(Plan.run_id == done.run_id)).one()
        steps = s.exec(select(PlanStep).where(PlanStep.plan_id == plan.id).order_by(col(PlanStep.position))).all()
    assert stored is not None and "Not completed: step 1" in stored.content
    assert plan.status == "failed"
    assert [(st.agent_id, st.status) for st in steps] == [(pricing, "failed"), (None, "done")]


async def test_bad_or_oversized_plans_fall_back_to_a_direct_answer_and_are_recorded(
    actor: Actor, llm_server: LLMTestServer
) -> None:
    conn = h.connection(actor, llm_server)
    agent = h.agent(actor, conn, name="Planner", tools=["calculator", "create_task"], plan_complex=True)
    conv = h.conversation(actor, agent)
    seven = _plan(*[(f"Part {i}", "self", []) for i in range(7)])
    writing = _plan(("File a task", "self", ["create_task"]))
    cases = [
        (seven, "7 steps; at most 6"),
        (writing, "may not use create_task"),
        ({"content": "Sure! Step 1..."}, "not JSON"),
    ]
    for reply, reason in cases:
        llm_server.script = [reply, {"content": "Direct answer."}]
        events = await h.run(actor, conv, "Do many things")
        assert not _of(events, PlanCreated)
        assert "".join(e.text for e in _of(events, TextDelta)) == "Direct answer."
        with session_scope() as s:
            plan = s.exec(select(Plan).where(Plan.run_id == events[0].run_id)).one()
        assert plan.status == "rejected" and reason in plan.note
    with session_scope() as s:
        assert list_plans(actor=actor, conversation_id=conv, session=s) == {}  # no checklist for them


async def test_simple_requests_skip_planning_and_planner_off_makes_no_planning_call(
    actor: Actor, llm_server: LLMTestServer
) -> None:
    conn = h.connection(actor, llm_server)
    planner = h.agent(actor, conn, name="Planner", plan_complex=True)
    llm_server.script = [{"content": '{"complex": false}'}, {"content": "Hi!"}]
    events = await h.run(actor, h.conversation(actor, planner), "Hello")
    assert not _of(events, PlanCreated) and "".join(e.text for e in _of(events, TextDelta)) == "Hi!"
    assert len(llm_server.chat_requests) == 2
    with session_scope() as s:
        assert s.exec(select(Plan).where(Plan.run_id == events[0].run_id)).first() is None

    plain = h.agent(actor, conn, name="Plain")
    llm_server.script = [{"content": '{"complex": true, "steps": []}'}]
    events = await h.run(actor, h.conversation(actor, plain), "Hello")
    assert "".join(e.text for e in _of(events, TextDelta)) == '{"complex": true, "steps": []}'
    assert len(llm_server.chat_requests) == 3


async def test_stop_during_a_step_leaves_no_step_running(actor: Actor, llm_server: LLMTestServer) -> None:
    from backend.runtime.run import run_agent
    from tests.support.principal import for_conversation

    conn = h.connection(actor, llm_server)
    agent = h.agent(actor, conn, name="Planner", plan_complex=True)
    conv = h.conversation(actor, agent)
    llm_server.script = [_plan(("First", "self", []), ("Second", "self", [])), {"content": "slow", "delay_ms": 5000}]
    gen = run_agent(principal=for_conversation(actor, conv), conversation_id=conv, user_text="Two things")
    run_id = ""
    async for event in gen:
        run_id = getattr(event, "run_id", run_id)
        if isinstance(event, PlanStepUpdated) and event.status == "running":
            break
    await gen.aclose()  # the chat's Stop
    with session_scope() as s:
        plan = s.exec(select(Plan).where(Plan.run_id == run_id)).one()
        steps = s.exec(select(PlanStep).where(PlanStep.plan_id == plan.id).order_by(col(PlanStep.position))).all()
    assert plan.status == "stopped"
    assert [(st.status, st.summary) for st in steps] == [("failed", "Stopped before it finished.")] * 2


async def test_the_planner_keeps_write_tools_and_approvals_and_a_resumed_answer_reports_failures(
    actor: Actor, llm_server: LLMTestServer
) -> None:
    conn = h.connection(actor, llm_server)
    pricing = h.agent(actor, conn, name="Pricing bot")
    with session_scope() as s:  # its model is gone from the provider: the step fails
        bp = get_blueprint(actor=actor, agent_id=pricing, session=s)
        bp.model = "retired-model"
        s.add(bp)
    agent = h.agent(
        actor,
        conn,
        name="Planner",
        tools=["create_task"],
        approval_tools=["create_task"],
        delegates=[pricing],
        plan_complex=True,
    )
    conv = h.conversation(actor, agent)
    llm_server.script = [
        _plan(("Price the toner", "Pricing bot", [])),
        {"tool_calls": [h.call("create_task", {"title": "Order toner"})]},
        {"content": "Filed the task."},
    ]
    events = await h.run(actor, conv, "Think it over, then file a task to order toner")
    assert [(u.position, u.status) for u in _of(events, PlanStepUpdated)] == [(1, "running"), (1, "failed")]
    assert events[-1].status == "awaiting_approval"
    with session_scope() as s:
        assert list_tasks(actor=actor, session=s) == []
    [waiting] = [e for e in _of(events, ToolCallStarted) if e.tool_name == "create_task"]
    assert waiting.depth == 0  # the write tool is the planner's own call, in the synthesis
    resumed = await h.resume(actor, events[0].run_id, {waiting.step_id: True})
    answer = "".join(e.text for e in _of(resumed, TextDelta))
    assert answer.startswith("Filed the task.") and "Not completed: step 1 (Price the toner) failed" in answer
    with session_scope() as s:
        assert [t.title for t in list_tasks(actor=actor, session=s)] == ["Order toner"]
