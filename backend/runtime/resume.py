"""Continue a run paused for approval: the user's Approve/Deny per waiting step."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncGenerator, Mapping
from contextlib import aclosing
from typing import Any

from sqlalchemy import update
from sqlmodel import col, select

from backend.accounts.actor import NotFound
from backend.accounts.principal import RunPrincipal
from backend.db import session_scope
from backend.models import BlueprintVersion, Message, Run
from backend.models.common import utcnow
from backend.runtime import plans
from backend.runtime.checkpoint import Checkpoint
from backend.runtime.events import RunEvent, RunStarted, TextDelta
from backend.runtime.loop import AgentLoop, Pending, RunOptions
from backend.runtime.planned import failure_note
from backend.runtime.run import RunRejected, drive
from backend.runtime.steps import StepLog
from backend.runtime.usage import RunTrace


def _claim(principal: RunPrincipal, run_id: str) -> tuple[RunStarted, BlueprintVersion, Run, dict[str, Any], str]:
    """Take the paused run (once: a conditional UPDATE) and load what continuing it needs."""
    with session_scope() as session:
        run = session.get(Run, run_id)
        if (
            run is None
            or run.user_id != principal.end_user_id
            or run.workspace_id != principal.owner_workspace_id
            or run.agent_id != principal.agent_id
        ):
            raise NotFound("Run not found.")
        state = dict(run.resume_state or {})
        claimed = session.execute(
            update(Run)
            .where(col(Run.id) == run_id, col(Run.status) == "awaiting_approval")
            .values(status="running", heartbeat_at=utcnow())  # resume_state stays until the decisions ran
        )
        if claimed.rowcount != 1 or not state:  # type: ignore[attr-defined]
            raise RunRejected("This run is not waiting for approval.")
        blueprint = session.get(BlueprintVersion, run.blueprint_version_id)
        assert blueprint is not None  # noqa: S101  (foreign key)
        prefix = session.exec(
            select(Message.content).where(Message.run_id == run.id, Message.role == "assistant")
        ).first()
        session.expunge(run)
        started = RunStarted(run.id, run.conversation_id or "", str(state.get("user_message_id", "")))
        return started, blueprint, run, state, prefix or ""


def _consume(run_id: str) -> None:
    """Forget the paused state once the decided calls ran (until then a crash leaves the run
    answerable again: the stale-run sweep puts it back to ``awaiting_approval``)."""
    with session_scope() as session:
        session.execute(
            update(Run)
            .where(col(Run.id) == run_id, col(Run.status) == "running")
            .values(resume_state=None, heartbeat_at=utcnow())
        )


async def resume_run(
    *, principal: RunPrincipal, run_id: str, decisions: Mapping[str, bool], options: RunOptions | None = None
) -> AsyncGenerator[RunEvent, None]:
    """Continue a run that ended with ``RunDone(status="awaiting_approval")``.

    Args:
        principal: The run's own (end user, agent and owner), built at the edge.
        run_id: The paused run.
        decisions: ``{step_id: True (approve) | False (deny)}`` for the waiting steps; a step
            left out is denied. Denied calls go back to the model as "The user denied this
            action." (step status ``rejected``); approved ones run (status ``approved``, then
            the tool's outcome).
        options: As for ``run_agent``.

    Yields:
        The same events as ``run_agent`` (``RunStarted`` with the original user message id,
        ``ToolCallFinished`` for the decided steps, then the rest of the run), ending with
        ``RunDone`` (possibly ``awaiting_approval`` again).

    Raises:
        NotFound: no such run for this user.
        RunRejected: the run is not waiting for approval (e.g. already resumed).
    """
    started, blueprint, run, state, prefix = await asyncio.to_thread(_claim, principal, run_id)
    steps = await asyncio.to_thread(StepLog, run.id, run.conversation_id)
    yield started
    loop = AgentLoop(
        principal=principal,
        blueprint=blueprint,
        run_id=run.id,
        root_agent_id=blueprint.agent_id,
        log=steps,
        trace=RunTrace.from_run(run),
        options=options or RunOptions(),
        checkpoint=Checkpoint(run.id),
    )
    assert loop.checkpoint is not None  # noqa: S101
    loop.checkpoint.text = lambda: prefix + "".join(loop.parts)
    loop.steps_used = int(state.get("steps_used", 0))
    loop.messages = list(state.get("messages") or [])
    pending = [Pending.from_dict(p) for p in state.get("pending") or []]
    choices = [(p, bool(decisions.get(p.step_id, False))) for p in pending]

    async def events() -> AsyncGenerator[RunEvent, None]:
        async with aclosing(loop.resume(choices)) as stream:
            async for event in stream:
                yield event
        await asyncio.to_thread(_consume, run.id)  # decisions carried out: no longer answerable
        async with aclosing(loop.run(loop.messages)) as stream:
            async for event in stream:
                yield event
        failed = await asyncio.to_thread(plans.failed_steps, run.id) if not loop.pending else []
        if failed:  # a planned run paused in its synthesis: the answer still says which steps failed
            note = failure_note(failed)
            loop.parts.append(note)
            yield TextDelta(note)

    async with aclosing(
        drive(
            principal=principal,
            started=started,
            loop=loop,
            events=events(),
            user_text=str(state.get("user_text", "")),
            prefix=prefix,
        )
    ) as stream:
        async for event in stream:
            yield event
