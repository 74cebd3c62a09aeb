"""One "ask <agent>" call: the delegate's current blueprint runs as a nested, read-only
:class:`~backend.runtime.loop.AgentLoop` in the same run (same step log, trace, budgets and run
id: its usage records carry the root run's id, so they roll into the root run's totals; its
gateway calls are made for the delegating agent and user)."""

from __future__ import annotations

import asyncio
import json
import logging
import time
from contextlib import aclosing
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from backend.gateway.llm import GatewayError
from backend.runtime.context import build_messages
from backend.runtime.delegation import delegate_blueprint
from backend.runtime.events import RunEvent
from backend.runtime.steps import NewStep
from backend.security.redact import redact_secrets
from backend.tools.audit import AuditEntry, redact_arguments, write_audits

if TYPE_CHECKING:
    from collections.abc import AsyncGenerator

    from backend.models import BlueprintVersion
    from backend.runtime.loop import AgentLoop

log = logging.getLogger(__name__)


def _question(args: str) -> str:
    try:
        value = json.loads(args or "{}")
    except ValueError:
        return ""
    question = value.get("question") if isinstance(value, dict) else None
    return question.strip() if isinstance(question, str) else ""


@dataclass
class ExecutorOutcome:
    """How an executor run ended: ``status`` ``ok`` (``text``: its answer) or ``error`` (``text``:
    the message for the model and the user; ``kind``: the gateway's error kind, e.g. ``budget``)."""

    status: str = "error"
    text: str = ""
    kind: str = ""


async def run_executor(
    parent: AgentLoop,
    blueprint: BlueprintVersion,
    messages: list[dict[str, Any]],
    parent_step_id: str,
    outcome: ExecutorOutcome,
) -> AsyncGenerator[RunEvent, None]:
    """Run ``blueprint`` as a read-only executor one level below ``parent`` (same run, step log,
    trace, budgets and checkpoint; its tool steps nest under ``parent_step_id``), streaming its
    step events and filling ``outcome``. Never raises for the executor's own failures."""
    child = type(parent)(
        principal=parent.principal,
        blueprint=blueprint,
        run_id=parent.run_id,
        root_agent_id=parent.root_agent_id,
        log=parent.log,
        trace=parent.trace,
        options=parent.options,
        depth=parent.depth + 1,
        parent_step_id=parent_step_id,
        checkpoint=parent.checkpoint,
    )
    try:
        async with aclosing(child.run(messages)) as stream:
            async for event in stream:
                yield event
        outcome.status = "ok"
        outcome.text = "".join(child.parts).strip() or f"{blueprint.name} gave no answer."
    except GatewayError as exc:
        outcome.text, outcome.kind = f"{blueprint.name} could not answer: {redact_secrets(exc.message)}", exc.kind
    except Exception as exc:  # an executor's failure must not crash the run that asked
        log.exception("executor run of %s failed", blueprint.agent_id)
        outcome.text, outcome.kind = f"{blueprint.name} failed: {type(exc).__name__}", "internal"


async def ask_delegate(
    parent: AgentLoop, step: NewStep, args: str, outcome: list[tuple[str, str]]
) -> AsyncGenerator[RunEvent, None]:
    """Run the delegate of ``step`` and stream its (nested) step events; append
    ``("ok", answer)`` or ``("error", message for the model)`` to ``outcome``. Audits the call."""
    started = time.perf_counter()
    delegate = parent.delegates[step.tool_name]
    question = _question(args)
    status, text = "error", ""
    if not question:
        text = f"Invalid arguments for {step.tool_name}: question: a non-empty string is required."
    else:
        blueprint = await asyncio.to_thread(
            delegate_blueprint, delegate.agent_id, workspace_id=parent.principal.owner_workspace_id
        )
        if blueprint is None:
            text = f"The agent {delegate.name} no longer exists."
        else:
            result = ExecutorOutcome()
            async with aclosing(
                run_executor(parent, blueprint, build_messages(blueprint, [("user", question)]), step.step_id, result)
            ) as stream:
                async for event in stream:
                    yield event
            status, text = result.status, result.text
    outcome.append((status, text))
    entry = AuditEntry(
        workspace_id=parent.actor.workspace_id,
        agent_id=parent.blueprint.agent_id,
        run_id=parent.run_id,
        user_id=parent.actor.user_id,
        call_id=step.call_id,
        tool_name=step.tool_name,
        tool_version="1",
        arguments=redact_arguments(args),
        status=status,
        summary=" ".join(text.split())[:300],
        error="" if status == "ok" else text,
        duration_ms=int((time.perf_counter() - started) * 1000),
    )
    try:
        await asyncio.to_thread(write_audits, [entry])
    except Exception:
        log.exception("Could not write the audit row of an ask call")
