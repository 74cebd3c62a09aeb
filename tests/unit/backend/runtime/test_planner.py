"""The plan's strict validation: what a planning reply may say, and why a plan is refused."""

from __future__ import annotations

import json
from typing import Any

import pytest

from backend.models import BlueprintVersion
from backend.runtime.planner import MAX_PLAN_STEPS, Executor, PlanInvalid, parse_plan, planning_prompt

BP = BlueprintVersion(agent_id="a1", version=1, created_by="u1", name="Planner")
EXECUTORS = [
    Executor(None, "Planner", "", ("calculator",), BP),
    Executor("b" * 32, "Research bot", "Finds facts", ("search_knowledge",), BP),
]


def _reply(*steps: dict[str, Any], complex_: bool = True) -> str:
    return json.dumps({"complex": complex_, "steps": list(steps)})


def test_a_valid_plan_names_self_or_an_agent_by_name_or_id_with_their_read_tools() -> None:
    steps = parse_plan(
        _reply(
            {"goal": "  Find   the facts ", "agent": "research BOT", "tools": ["search_knowledge"]},
            {"goal": "Add them up", "agent": "self", "tools": ["calculator"]},
            {"goal": "Again", "agent": "b" * 32, "tools": []},
        ),
        EXECUTORS,
    )
    assert steps is not None
    assert [(s.goal, s.agent_id, s.agent_name, s.tools) for s in steps] == [
        ("Find the facts", "b" * 32, "Research bot", ("search_knowledge",)),
        ("Add them up", None, "Planner", ("calculator",)),
        ("Again", "b" * 32, "Research bot", ()),
    ]


def test_simple_requests_and_fenced_json() -> None:
    assert parse_plan('{"complex": false}', EXECUTORS) is None
    fenced = "```json\n" + _reply({"goal": "x", "agent": "self", "tools": []}) + "\n```"
    assert parse_plan(fenced, EXECUTORS) is not None


@pytest.mark.parametrize(
    ("reply", "reason"),
    [
        ("Here is my plan: first...", "not JSON"),
        ('{"complex": "yes"}', "complex"),
        ('{"complex": true, "steps": [], "extra": 1}', "extra"),
        ('{"complex": true}', "at least one step"),
        (_reply({"goal": "x", "agent": "self"}), "tools"),
        (_reply({"goal": "", "agent": "self", "tools": []}), "goal"),
        (_reply({"goal": "x" * 501, "agent": "self", "tools": []}), "goal"),
        (_reply({"goal": "x", "agent": "self", "tools": [], "agent_id": "z"}), "agent_id"),
        (_reply({"goal": "x", "agent": "Nobody", "tools": []}), 'unknown agent "Nobody"'),
        (_reply({"goal": "x", "agent": "self", "tools": ["create_task"]}), "Planner may not use create_task"),
        (_reply({"goal": "x", "agent": "Research bot", "tools": ["calculator"]}), "may not use calculator"),
        (_reply(*[{"goal": "x", "agent": "self", "tools": []}] * (MAX_PLAN_STEPS + 1)), "at most 6"),
        ("[" * 20_000, "longer than"),
    ],
)
def test_bad_plans_are_refused_with_a_reason(reply: str, reason: str) -> None:
    with pytest.raises(PlanInvalid, match=None) as caught:
        parse_plan(reply, EXECUTORS)
    assert reason in str(caught.value)


def test_the_prompt_lists_executors_and_only_their_read_tools() -> None:
    prompt = planning_prompt(EXECUTORS)
    assert '- "self". Tools: calculator.' in prompt
    assert '- "Research bot" — Finds facts. Tools: search_knowledge.' in prompt
    assert f"at most {MAX_PLAN_STEPS} steps" in prompt
