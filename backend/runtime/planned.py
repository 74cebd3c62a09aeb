"""Planner mode, the run: ask the agent's model for a plan, run its steps with read-only executors,
then hand the results to the agent for the final answer (the synthesis).

:func:`plan_steps` is called by ``run_agent`` before the agent's own loop when its blueprint has
``plan_complex`` on. One planning call (not streamed, ``PLAN_MAX_TOKENS`` output tokens) decides:

- simple (or a refused plan, recorded as ``rejected``): nothing else happens, the agent answers
  as usual;
- complex: the plan is stored (``plans``/``plan_steps``) and announced (``PlanCreated``); each
  step runs in order as a read-only executor (:func:`backend.runtime.delegated.run_executor`,
  the same machinery as "ask <agent>": depth 1, only the step's read-risk tools, no delegates, so
  executors never plan) on the goal, the user's request and the earlier steps' results; each
  status change is stored and streamed (``PlanStepUpdated``). A failing step is marked ``failed``
  and the next ones still run, except after a budget refusal (the rest are marked failed unrun).
  Finally a system message with every step's result is appended to the agent's messages: the
  agent's own loop (all its tools, write tools and approvals included) writes the answer.

Every call is the run's: the same principal, run id (usage records) and budgets (holds through
the gateway), and the same checkpoint (heartbeat) and step log.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import AsyncGenerator, Sequence
from contextlib import aclosing
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from backend.gateway import router
from backend.gateway.candidates import targets_for
from backend.models import BlueprintVersion
from backend.runtime import plans
from backend.runtime.context import build_messages
from backend.runtime.delegated import ExecutorOutcome, run_executor
from backend.runtime.events import PlanCreated, PlanStepInfo, PlanStepUpdated, RunEvent
from backend.runtime.planner import PLAN_MAX_TOKENS, PlanInvalid, executors_for, parse_plan, planning_prompt

if TYPE_CHECKING:
    from backend.runtime.loop import AgentLoop

log = logging.getLogger(__name__)
RESULT_CHARS = 1500
"""Characters of one step's result passed on to later steps and to the synthesis."""
NOT_RUN = "Not run: the run's budget was used up by an earlier step."

SYNTHESIS_NOTE = """You planned this request in {n} steps, and they have run. Their results:
{results}

Now write the final answer for the user from these results. If a step failed, say plainly which \
part could not be done and why. Use your tools only for actions the request asks for."""


@dataclass
class PlanOutcome:
    """What the plan left for the answer: the failed steps' ``(position, goal)``."""

    failed: list[tuple[int, str]]


def failure_note(failed: Sequence[tuple[int, str]]) -> str:
    """The line added under a planned answer when steps failed (so the answer always says so)."""
    if not failed:
        return ""
    parts = "; ".join(f"step {n} ({goal[:80]})" for n, goal in failed)
    return f"\n\n_Not completed: {parts} failed — see the plan above._"


async def _planning_reply(loop: AgentLoop, messages: list[dict[str, Any]]) -> str:
    bp = loop.blueprint
    connection_id = loop.principal.main_connection(bp.agent_id, bp.connection_id) or ""
    parts: list[str] = []
    stream = router.stream_chat(
        principal=loop.principal,
        targets=targets_for(connection_id, bp.model, bp.fallbacks),
        messages=messages,
        temperature=bp.temperature,  # the agent's own setting (some models refuse others)
        max_tokens=PLAN_MAX_TOKENS,
        run_id=loop.run_id,
        stream=False,
        progress=loop.checkpoint.inflight if loop.checkpoint else None,
    )
    async with aclosing(stream):
        async for event in stream:
            if isinstance(event, router.TextDelta):
                parts.append(event.text)
            elif isinstance(event, router.ChatUsage):
                loop.trace.add(event, main=False)
    return "".join(parts)


def _executor_blueprint(bp: BlueprintVersion, tools: Sequence[str]) -> BlueprintVersion:
    """A detached copy of ``bp`` limited to the step's tools, with no delegates (never stored)."""
    data = bp.model_dump()
    data.update(tools=[t for t in bp.tools if t in tools], delegates=[], plan_complex=False, approval_tools=[])
    return BlueprintVersion(**data)


def _task(goal: str, number: int, total: int, request: str, earlier: Sequence[str]) -> str:
    done = "\n".join(earlier) if earlier else "(none yet)"
    return (
        f"Your task (step {number} of {total} of a plan): {goal}\n\n"
        f"The user's request, for context: {request[:4000]}\n\n"
        f"Results of the earlier steps:\n{done}\n\n"
        "Answer with the result of your task only."
    )


def _line(number: int, goal: str, status: str, text: str) -> str:
    label = "done" if status == "done" else "FAILED"
    return f"Step {number} ({label}) — {goal}: {' '.join(text.split())[:RESULT_CHARS]}"


async def plan_steps(
    loop: AgentLoop, messages: list[dict[str, Any]], request: str, outcome: PlanOutcome
) -> AsyncGenerator[RunEvent, None]:
    """Plan the request and run the plan (see the module docstring). On a plan, appends the
    synthesis note to ``messages`` (in place) and fills ``outcome``.

    Raises:
        GatewayError: the planning call itself failed (the run fails like any model call).
    """
    principal, bp = loop.principal, loop.blueprint
    executors = await asyncio.to_thread(
        executors_for, bp, workspace_id=principal.owner_workspace_id, registry=loop.options.registry
    )
    reply = await _planning_reply(loop, [*messages, {"role": "system", "content": planning_prompt(executors)}])
    conversation_id = loop.log.conversation_id
    try:
        steps = parse_plan(reply, executors)
    except PlanInvalid as exc:
        log.info("run %s: plan refused (%s); answering directly", loop.run_id, exc)
        await asyncio.to_thread(plans.reject_plan, loop.run_id, conversation_id, str(exc))
        return
    if steps is None:
        return
    plan_id, step_ids = await asyncio.to_thread(plans.create_plan, loop.run_id, conversation_id, steps)
    yield PlanCreated(
        plan_id,
        loop.run_id,
        tuple(
            PlanStepInfo(sid, n, s.goal, s.agent_name, s.tools)
            for n, (sid, s) in enumerate(zip(step_ids, steps, strict=True), 1)
        ),
    )
    by_id = {ex.agent_id: ex for ex in executors}
    results: list[str] = []
    finished = False
    try:
        budget_gone = False
        for number, (step_id, step) in enumerate(zip(step_ids, steps, strict=True), start=1):
            if budget_gone:
                await asyncio.to_thread(plans.set_step, step_id, "failed", NOT_RUN)
                yield PlanStepUpdated(plan_id, step_id, number, "failed", NOT_RUN)
                outcome.failed.append((number, step.goal))
                results.append(_line(number, step.goal, "failed", NOT_RUN))
                continue
            await asyncio.to_thread(plans.set_step, step_id, "running")
            yield PlanStepUpdated(plan_id, step_id, number, "running")
            began = time.perf_counter()
            executor_bp = _executor_blueprint(by_id[step.agent_id].blueprint, step.tools)
            task = _task(step.goal, number, len(steps), request, results)
            result = ExecutorOutcome()
            async with aclosing(
                run_executor(loop, executor_bp, build_messages(executor_bp, [("user", task)]), step_id, result)
            ) as stream:
                async for event in stream:
                    yield event
            status = "done" if result.status == "ok" else "failed"
            ms = int((time.perf_counter() - began) * 1000)
            await asyncio.to_thread(plans.set_step, step_id, status, result.text, ms)
            yield PlanStepUpdated(plan_id, step_id, number, status, result.text[: plans.SUMMARY_CHARS], ms)
            results.append(_line(number, step.goal, status, result.text))
            if status == "failed":
                outcome.failed.append((number, step.goal))
                budget_gone = result.kind == "budget"
        await asyncio.to_thread(plans.finish_plan, plan_id, "failed" if outcome.failed else "done")
        finished = True
    finally:
        if not finished:  # Stop (the consumer closed the run) or an error: no step stays "running"
            await asyncio.shield(asyncio.to_thread(plans.stop_run_plans, loop.run_id, "Stopped before it finished."))
    messages.append({"role": "system", "content": SYNTHESIS_NOTE.format(n=len(steps), results="\n".join(results))})
