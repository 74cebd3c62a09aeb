"""Planner mode, the plan itself: who may run a step, the planning prompt, and strict validation
of the model's plan (JSON).

The planning call asks the agent's model for one JSON object::

    {"complex": false}
    {"complex": true, "steps": [{"goal": "...", "agent": "self", "tools": ["calculator"]}, ...]}

``agent`` is ``"self"`` (the planner's own blueprint) or the name (or id) of one of the agents it
may ask (``BlueprintFields.delegates``); ``tools`` may only name that executor's **read-risk**
tools (write and external tools stay with the planner, for the final answer). Anything else — not
JSON, unknown keys, an unknown agent or tool, more than :data:`MAX_PLAN_STEPS` steps, a goal over
:data:`MAX_GOAL_CHARS` characters — raises :class:`PlanInvalid`: the run answers directly and
the refusal is recorded (``plans.status = "rejected"``).
"""

from __future__ import annotations

import json
import re
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from jsonschema import Draft202012Validator

from backend.blueprints import current_blueprints
from backend.db import session_scope
from backend.models import BlueprintVersion
from backend.runtime.plans import NewPlanStep
from backend.tools.registry import ToolRegistry, resolve_tools

MAX_PLAN_STEPS = 6
"""Most steps one plan may have; a longer plan is refused (the agent answers directly)."""
MAX_GOAL_CHARS = 500
MAX_STEP_TOOLS = 8
MAX_REPLY_CHARS = 12_000
"""Longest planning reply parsed (characters); a longer one is refused unread."""
PLAN_MAX_TOKENS = 1000
"""Output cap of the planning call, tokens (also its budget hold's output part)."""
SELF = "self"

PLAN_SCHEMA: dict[str, Any] = {
    "type": "object",
    "properties": {
        "complex": {"type": "boolean"},
        "steps": {
            "type": "array",
            "items": {
                "type": "object",
                "properties": {
                    "goal": {"type": "string", "minLength": 1, "maxLength": MAX_GOAL_CHARS},
                    "agent": {"type": "string", "minLength": 1, "maxLength": 120},
                    "tools": {
                        "type": "array",
                        "items": {"type": "string"},
                        "maxItems": MAX_STEP_TOOLS,
                        "uniqueItems": True,
                    },
                },
                "required": ["goal", "agent", "tools"],
                "additionalProperties": False,
            },
        },
    },
    "required": ["complex"],
    "additionalProperties": False,
}
_VALIDATOR = Draft202012Validator(PLAN_SCHEMA)
_FENCE = re.compile(r"^```(?:json)?\s*(.*?)\s*```$", re.DOTALL)

PLANNING_PROMPT = """You are planning how to answer the user's latest message.
Decide whether it is COMPLEX (several distinct parts or look-ups that are best done one after \
another) or SIMPLE (answer it directly).
Reply with one JSON object and nothing else:
{{"complex": false}}
or
{{"complex": true, "steps": [{{"goal": "...", "agent": "self", "tools": ["tool_name"]}}]}}
Rules for a plan: at most {max_steps} steps, in order; each goal is a self-contained instruction \
(at most {max_goal} characters); "agent" is "self" or the name of one of the agents below; \
"tools" lists only tools that agent may use below (read-only look-ups), or [] for none. The \
results of each step are given to the later steps and to you for the final answer. Steps cannot \
change anything: actions that change data are done by you in the final answer.

Who can run a step, and their tools:
{catalog}"""


class PlanInvalid(ValueError):
    """The model's plan was refused; ``str(exc)`` says why (recorded on the rejected plan)."""


@dataclass(frozen=True)
class Executor:
    """Who may run a step: the planner itself (``agent_id`` None) or an agent it may ask.
    ``tools`` are its read-risk tools (the only ones a step may use)."""

    agent_id: str | None
    name: str
    description: str
    tools: tuple[str, ...]
    blueprint: BlueprintVersion


def _read_tools(bp: BlueprintVersion, workspace_id: str, registry: ToolRegistry | None) -> tuple[str, ...]:
    found = resolve_tools(bp.tools, workspace_id=workspace_id, registry=registry)
    return tuple(n for n in dict.fromkeys(bp.tools) if n in found and found[n].risk == "read")


def executors_for(
    blueprint: BlueprintVersion, *, workspace_id: str, registry: ToolRegistry | None = None
) -> list[Executor]:
    """The planner itself, then the (existing) agents it may ask (blocking: reads rows)."""
    out = [
        Executor(None, blueprint.name, blueprint.description, _read_tools(blueprint, workspace_id, registry), blueprint)
    ]
    ids = [a for a in dict.fromkeys(blueprint.delegates) if a != blueprint.agent_id]
    if ids:
        with session_scope() as session:
            found = current_blueprints(session, ids, workspace_id)
        for agent_id in ids:
            bp = found.get(agent_id)
            if bp is not None:
                tools = _read_tools(bp, workspace_id, registry)
                out.append(Executor(agent_id, bp.name, bp.description, tools, bp))
    return out


def planning_prompt(executors: Sequence[Executor]) -> str:
    """The system message of the planning call (the executors and their read-only tools)."""
    lines = []
    for ex in executors:
        who = SELF if ex.agent_id is None else ex.name
        about = f" — {ex.description}" if ex.description else ""
        tools = ", ".join(ex.tools) or "no tools"
        lines.append(f'- "{who}"{about}. Tools: {tools}.')
    return PLANNING_PROMPT.format(max_steps=MAX_PLAN_STEPS, max_goal=MAX_GOAL_CHARS, catalog="\n".join(lines))


def _executor(name: str, executors: Sequence[Executor]) -> Executor:
    wanted = name.strip().lower()
    for ex in executors:
        if ex.agent_id is None and wanted in (SELF, ex.name.strip().lower()):
            return ex
    for ex in executors:
        if ex.agent_id is not None and wanted in (ex.name.strip().lower(), ex.agent_id.lower()):
            return ex
    raise PlanInvalid(f'unknown agent "{name[:80]}"')


def parse_plan(text: str, executors: Sequence[Executor]) -> list[NewPlanStep] | None:
    """Validate the planning reply.

    Args:
        text: The model's reply (one JSON object; a fenced ```json block is accepted).
        executors: From :func:`executors_for` (the first is the planner itself).

    Returns:
        None when the model judged the request simple; else the steps, in order.

    Raises:
        PlanInvalid: not JSON, not the schema, no steps, more than ``MAX_PLAN_STEPS`` steps,
            an unknown agent or a tool the step's executor may not use (write tools included).
    """
    raw = text.strip()
    if len(raw) > MAX_REPLY_CHARS:
        raise PlanInvalid(f"the plan is longer than {MAX_REPLY_CHARS:,} characters")
    fenced = _FENCE.match(raw)
    if fenced:
        raw = fenced.group(1)
    try:
        data = json.loads(raw)
    except ValueError:
        raise PlanInvalid("the plan is not JSON") from None
    errors = sorted(_VALIDATOR.iter_errors(data), key=lambda e: list(e.path))
    if errors:
        where = "/".join(str(p) for p in errors[0].path) or "plan"
        raise PlanInvalid(f"{where}: {errors[0].message[:200]}")
    if not data["complex"]:
        return None
    steps = data.get("steps") or []
    if not steps:
        raise PlanInvalid("a complex request needs at least one step")
    if len(steps) > MAX_PLAN_STEPS:
        raise PlanInvalid(f"{len(steps)} steps; at most {MAX_PLAN_STEPS} are allowed")
    out: list[NewPlanStep] = []
    for number, step in enumerate(steps, start=1):
        goal = " ".join(step["goal"].split())
        if not goal:
            raise PlanInvalid(f"step {number} has no goal")
        ex = _executor(step["agent"], executors)
        refused = [t for t in step["tools"] if t not in ex.tools]
        if refused:
            raise PlanInvalid(f"step {number}: {ex.name} may not use {', '.join(t[:64] for t in refused)}")
        out.append(NewPlanStep(goal, ex.agent_id, ex.name, tuple(step["tools"])))
    return out
