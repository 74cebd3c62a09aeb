"""Delegation: agents as "ask <agent>" tools, read-only executors, nesting, depth limit, usage."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from sqlmodel import select

from backend.accounts.actor import Actor
from backend.agents.service import get_blueprint, validate_blueprint
from backend.db import session_scope
from backend.models import BlueprintFields, Run, UsageRecord
from backend.runtime.delegation import ask_tool_name
from backend.runtime.events import ToolCallFinished, ToolCallStarted, UsageReport
from backend.tools.audit import list_audit
from backend.tools.tasks import list_tasks
from tests.support import agents as h
from tests.support.llm_server import LLMTestServer


def _of(events: list[Any], kind: type) -> list[Any]:
    return [e for e in events if isinstance(e, kind)]


def _names(tools: list[dict[str, Any]] | None) -> list[str]:
    return [t["function"]["name"] for t in tools or []]


async def test_a_delegate_is_a_read_only_executor_whose_steps_nest_and_usage_counts(
    actor: Actor, llm_server: LLMTestServer
) -> None:
    conn = h.connection(actor, llm_server)
    helper = h.agent(actor, conn, name="Research bot", tools=["create_task", "current_datetime"])
    planner = h.agent(actor, conn, name="Planner", delegates=[helper])
    conv = h.conversation(actor, planner)
    ask = ask_tool_name(helper)
    llm_server.script = [
        {"tool_calls": [h.call(ask, {"question": "File a task and tell me the time"})]},
        {"tool_calls": [h.call("create_task", {"title": "Forbidden"}), h.call("current_datetime", {})]},
        {"content": "I may not file tasks; it is noon."},
        {"content": "Research bot says it is noon."},
    ]
    events = await h.run(actor, conv, "Plan my day")
    assert _names(llm_server.received_tools[0]) == [ask]
    assert _names(llm_server.received_tools[1]) == ["current_datetime"]  # read-risk tools only
    started = _of(events, ToolCallStarted)
    finished = {e.step_id: e for e in _of(events, ToolCallFinished)}
    assert [(s.tool_name, s.depth) for s in started] == [(ask, 0), ("create_task", 1), ("current_datetime", 1)]
    assert started[0].title == "Ask Research bot" and started[0].parent_step_id is None
    assert all(s.parent_step_id == started[0].step_id for s in started[1:])
    assert finished[started[1].step_id].status == "denied"
    assert "not allowed in this run" in finished[started[1].step_id].summary
    assert finished[started[2].step_id].status == "ok"
    assert finished[started[0].step_id].status == "ok" and "noon" in finished[started[0].step_id].summary
    assert events[-1].status == "succeeded"
    # usage of the delegated run counts toward the same run (and the planner's budgets)
    [usage] = _of(events, UsageReport)
    with session_scope() as s:
        records = s.exec(select(UsageRecord).where(UsageRecord.run_id == events[0].run_id)).all()
        run = s.get(Run, events[0].run_id)
        assert list_tasks(actor=actor, session=s) == []
        helper_audit = list_audit(actor=actor, agent_id=helper, run_id=events[0].run_id, session=s)
        planner_audit = list_audit(actor=actor, agent_id=planner, run_id=events[0].run_id, session=s)
    assert len(records) == 4 and {r.agent_id for r in records} == {planner}
    assert usage.completion_tokens == sum(r.completion_tokens for r in records)
    assert run is not None and run.prompt_tokens == sum(r.prompt_tokens for r in records)
    assert run.cost_nano_usd == usage.cost_nano_usd == sum(r.cost_nano_usd for r in records)
    assert sorted((a.tool_name, a.status) for a in helper_audit) == [
        ("create_task", "denied"),
        ("current_datetime", "ok"),
    ]
    assert [(a.tool_name, a.status) for a in planner_audit] == [(ask, "ok")]


async def test_delegation_stops_at_depth_three(actor: Actor, llm_server: LLMTestServer) -> None:
    conn = h.connection(actor, llm_server)
    chain = [h.agent(actor, conn, name="A4")]
    for name in ("A3", "A2", "A1", "A0"):
        chain.insert(0, h.agent(actor, conn, name=name, delegates=[chain[0]]))
    conv = h.conversation(actor, chain[0])
    llm_server.script = [
        {"tool_calls": [h.call(ask_tool_name(chain[1]), {"question": "q1"})]},
        {"tool_calls": [h.call(ask_tool_name(chain[2]), {"question": "q2"})]},
        {"tool_calls": [h.call(ask_tool_name(chain[3]), {"question": "q3"})]},
        {"tool_calls": [h.call(ask_tool_name(chain[4]), {"question": "q4"})]},  # depth 3: not offered
        {"content": "deep answer"},
        {"content": "a2"},
        {"content": "a1"},
        {"content": "a0"},
    ]
    events = await h.run(actor, conv, "go deep")
    assert [_names(t) for t in llm_server.received_tools[:4]] == [
        [ask_tool_name(chain[1])],
        [ask_tool_name(chain[2])],
        [ask_tool_name(chain[3])],
        [],
    ]
    started = _of(events, ToolCallStarted)
    assert [s.depth for s in started] == [0, 1, 2, 3]
    assert [s.parent_step_id for s in started[1:]] == [s.step_id for s in started[:3]]
    finished = {e.step_id: e for e in _of(events, ToolCallFinished)}
    assert finished[started[3].step_id].status == "error"  # the depth-3 run may not ask further
    assert "Unknown tool" in finished[started[3].step_id].summary
    assert events[-1].status == "succeeded"


def test_delegates_must_be_other_agents_of_the_workspace(
    actor: Actor, llm_server: LLMTestServer, make_actor: Callable[[], Actor]
) -> None:
    conn = h.connection(actor, llm_server)
    mine = h.agent(actor, conn)
    other = make_actor()
    theirs = h.agent(other, h.connection(other, llm_server))
    with session_scope() as s:
        fields = BlueprintFields.model_validate(
            get_blueprint(actor=actor, agent_id=mine, session=s).model_dump(include=set(BlueprintFields.model_fields))
        )
        assert "delegates" not in validate_blueprint(fields, actor=actor, session=s, agent_id=mine)
        fields.delegates = [mine]
        assert "cannot ask itself" in validate_blueprint(fields, actor=actor, session=s, agent_id=mine)["delegates"]
        fields.delegates = [theirs]
        assert "delegates" in validate_blueprint(fields, actor=actor, session=s, agent_id=mine)
        fields.delegates, fields.tools = [], ["no_such_tool"]
        assert "tools" in validate_blueprint(fields, actor=actor, session=s, agent_id=mine)
