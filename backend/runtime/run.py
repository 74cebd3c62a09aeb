"""Run an agent on one user message and stream what happens as :mod:`backend.runtime.events`.

The run row, the user's message and (on success) the answer are stored as the run goes, so an
error or a Stop loses nothing: the user's message always stays in the conversation. The model,
tool calls and delegation happen in :class:`backend.runtime.loop.AgentLoop`; a run paused for
approval is continued by :func:`backend.runtime.resume.resume_run`.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import AsyncGenerator
from contextlib import aclosing
from typing import Any

from sqlalchemy.exc import SQLAlchemyError
from sqlmodel import Session, col, select

from backend.accounts.principal import RunPrincipal
from backend.chat.principal import conversation_for
from backend.chat.service import append_message
from backend.db import session_scope
from backend.gateway import completion
from backend.memory.retrieval import Passage, SearchPlan, search_plan
from backend.models import BlueprintVersion, Message, Run
from backend.models.common import utcnow
from backend.runtime import grounding
from backend.runtime.checkpoint import Checkpoint
from backend.runtime.context import build_messages
from backend.runtime.events import RunDone, RunEvent, RunFailed, RunStarted, TextDelta, UsageReport
from backend.runtime.loop import AgentLoop, RunOptions
from backend.runtime.planned import PlanOutcome, failure_note, plan_steps
from backend.runtime.steps import StepLog
from backend.runtime.usage import RunTrace, apply_totals
from backend.security.redact import redact_secrets

log = logging.getLogger(__name__)
MAX_USER_MESSAGE_CHARS = 32000
__all__ = ["MAX_USER_MESSAGE_CHARS", "RunOptions", "RunRejected", "run_agent"]


class RunRejected(ValueError):
    """The message was not accepted (empty or too long), or the run cannot be resumed; nothing was stored."""


def _search_plan(principal: RunPrincipal, session: Session) -> SearchPlan | None:
    """What the run searches; a failure other than the database's costs the run its sources (the
    answer comes without them, as when retrieval fails), never the run."""
    try:
        return search_plan(principal.owner_workspace_id, principal.agent_id, session)
    except SQLAlchemyError:
        raise
    except Exception:
        log.exception("reading the run's search plan failed; answering without knowledge")
        return None


def _start(
    principal: RunPrincipal, conversation_id: str, text: str
) -> tuple[RunStarted, BlueprintVersion, list[tuple[str, str]], StepLog, SearchPlan | None]:
    """Store the run row and the user's message; read the blueprint, the history and what the run
    searches (knowledge, memories), in one transaction (blocking: a thread)."""
    with session_scope() as session:
        conv = conversation_for(principal=principal, conversation_id=conversation_id, session=session)
        blueprint = session.get(BlueprintVersion, conv.blueprint_version_id)
        assert blueprint is not None  # noqa: S101  (foreign key)
        run = Run(
            workspace_id=principal.owner_workspace_id,
            agent_id=conv.agent_id,
            user_id=principal.end_user_id,
            conversation_id=conv.id,
            blueprint_version_id=blueprint.id,
            connection_id=principal.main_connection(blueprint.agent_id, blueprint.connection_id),
            model=blueprint.model,
        )
        session.add(run)
        session.flush()
        msg = append_message(conversation=conv, role="user", content=text, run_id=None, session=session)
        if conv.title == "New conversation":
            conv.title = text.strip().splitlines()[0][:60] or conv.title
        conv.updated_at = utcnow()
        session.add(conv)
        rows = session.exec(
            select(Message.role, Message.content)
            .where(Message.conversation_id == conv.id, Message.content != "")
            .order_by(col(Message.position))
        ).all()
        started = RunStarted(run.id, conv.id, msg.id)
        plan = _search_plan(principal, session)
    return started, blueprint, [(r, c) for r, c in rows], StepLog(started.run_id, started.conversation_id), plan


def finish_run(
    principal: RunPrincipal,
    started: RunStarted,
    *,
    status: str,
    text: str,
    trace: RunTrace,
    error: str = "",
    resume_state: dict[str, Any] | None = None,
) -> tuple[str | None, UsageReport | None]:
    """Store the run's outcome and its assistant message (the same message across a pause and
    its resume), with its tokens and cost summed from its usage records in this transaction.

    Returns:
        ``(assistant message id, usage)``: the id is None only for a successful empty answer;
        usage is None when the run made no model call and charged nothing.
    """
    with session_scope() as session:
        run = session.get(Run, started.run_id)
        assert run is not None  # noqa: S101
        conv = conversation_for(principal=principal, conversation_id=started.conversation_id, session=session)
        existing = session.exec(select(Message).where(Message.run_id == run.id, Message.role == "assistant")).first()
        message_id = None
        if existing is not None:
            existing.content, message_id = text, existing.id
            session.add(existing)
        elif text:
            message_id = append_message(
                conversation=conv, role="assistant", content=text, run_id=run.id, session=session
            ).id
        run.status, run.error, run.resume_state = status, error, resume_state
        run.partial_text, run.inflight = "", None  # the checkpoint's copy is no longer needed
        run.finished_at = None if status == "awaiting_approval" else utcnow()
        if trace.calls:
            run.provider = trace.provider or run.provider
            run.model = trace.model or run.model
            run.connection_id = trace.connection_id or run.connection_id
            run.fallback_path = list(trace.fallback_path)
            run.latency_ms, run.ttft_ms = trace.latency_ms, trace.ttft_ms
        elif run.created_at is not None:
            run.latency_ms = int((utcnow() - run.created_at).total_seconds() * 1000)
        apply_totals(session, run)
        charged = trace.calls or run.prompt_tokens + run.completion_tokens + run.cost_nano_usd > 0
        if message_id is None and status != "succeeded":
            # Keep the failure (or the pause) visible in the conversation, tied to its run.
            message_id = append_message(
                conversation=conv, role="assistant", content="", run_id=run.id, session=session
            ).id
        session.add(run)
        return message_id, (trace.report(run) if charged else None)


def resume_state(loop: AgentLoop, started: RunStarted, user_text: str) -> dict[str, Any]:
    """What a paused run needs to continue (tool outputs redacted; no keys are ever in messages)."""
    messages = [{**m, "content": redact_secrets(m["content"])} if m.get("role") == "tool" else m for m in loop.messages]
    return {
        "messages": messages,
        "pending": [p.as_dict() for p in loop.pending],
        "steps_used": loop.steps_used,
        "user_message_id": started.user_message_id,
        "user_text": user_text,
    }


async def drive(
    *,
    principal: RunPrincipal,
    started: RunStarted,
    loop: AgentLoop,
    events: AsyncGenerator[RunEvent, None],
    user_text: str,
    prefix: str = "",
    passages: list[Passage] | None = None,
) -> AsyncGenerator[RunEvent, None]:
    """Stream ``events`` of ``loop`` and store the outcome: succeeded (citations, usage, memory),
    paused for approval, failed (``RunFailed``) or cancelled (the consumer closed us). Ends with
    ``RunDone`` unless cancelled."""
    finished = False
    began = time.perf_counter()

    async def end(
        status: str, error: str = "", state: dict[str, Any] | None = None
    ) -> tuple[str | None, UsageReport | None]:
        nonlocal finished
        finished = True
        text = prefix + "".join(loop.parts)
        write = asyncio.to_thread(
            finish_run,
            principal, started, status=status, text=text, trace=loop.trace, error=error, resume_state=state,
        )  # fmt: skip
        # shielded: a second cancellation (the page closing) must not lose the outcome; the thread
        # finishes its transaction anyway, this only keeps the result
        return await asyncio.shield(write)

    try:
        async with aclosing(events):
            async for event in events:
                yield event
        if loop.pending:
            message_id, _ = await end("awaiting_approval", state=resume_state(loop, started, user_text))
            yield RunDone(started.run_id, "awaiting_approval", message_id)
            return
        answer = prefix + "".join(loop.parts)
        cited = grounding.citations(answer, passages or [])
        message_id, usage = await end("succeeded")
        for citation in cited:
            yield citation
        if usage is not None:
            yield usage
        await grounding.record(
            principal=principal, conversation_id=started.conversation_id,
            run_id=started.run_id, message_id=message_id, user_text=user_text, answer=answer, cited=cited,
        )  # fmt: skip
        yield RunDone(started.run_id, "succeeded", message_id)
    except completion.GatewayError as exc:
        reason = redact_secrets(exc.message)
        message_id, _ = await end("failed", reason)
        yield RunFailed(exc.kind, reason, exc.retry_after_s)
        yield RunDone(started.run_id, "failed", message_id)
    except Exception as exc:  # the run must never crash the page; record why it failed
        log.exception("run %s failed", started.run_id)
        reason = redact_secrets(f"Unexpected error: {type(exc).__name__}: {exc}")[:500]
        message_id, _ = await end("failed", reason)
        yield RunFailed("internal", reason)
        yield RunDone(started.run_id, "failed", message_id)
    finally:
        if not finished:
            log.info("run %s cancelled after %d ms", started.run_id, int((time.perf_counter() - began) * 1000))
            await asyncio.to_thread(loop.log.close_running)
            await end("cancelled", "Stopped by the user.")


async def run_agent(
    *, principal: RunPrincipal, conversation_id: str, user_text: str, options: RunOptions | None = None
) -> AsyncGenerator[RunEvent, None]:
    """Answer ``user_text`` in a conversation, streaming events.

    Args:
        principal: Whom the run is for, built at the edge (``backend.accounts.principal``):
            the owner's agent, connection, knowledge, tools and budgets serve; the run, its
            conversation and memory are the end user's; usage is charged to the owner.
        options: Tool registry, step limit (default 8) and network rules (tests, benchmarks).

    Yields:
        ``RunStarted``, then ``TextDelta``s and, for each tool call, ``ToolCallStarted`` /
        ``ToolCallFinished`` (delegated runs' steps nested by ``parent_step_id``/``depth``);
        in planner mode (``plan_complex``) a complex request first gets ``PlanCreated`` and
        ``PlanStepUpdated`` s (executors' steps nest under the plan step);
        ``ApprovalRequired`` for calls needing approval, after which the run pauses with
        ``RunDone(status="awaiting_approval")``. Otherwise ``Citation``s, one ``UsageReport``
        (all model calls of the run, delegated ones included) or ``RunFailed``, and a final
        ``RunDone``. Closing the generator early (Stop) stores the partial answer and marks the
        run ``cancelled``.

    Raises:
        RunRejected: empty or over-long message (nothing stored).
        NotFound: the conversation is not the principal's (end user, agent and owner).
    """
    text = user_text.strip()
    if not text:
        raise RunRejected("Type a message first.")
    if len(text) > MAX_USER_MESSAGE_CHARS:
        raise RunRejected(f"Messages are at most {MAX_USER_MESSAGE_CHARS:,} characters.")
    started, blueprint, history, steps, search = await asyncio.to_thread(_start, principal, conversation_id, text)
    yield started
    opts = options or RunOptions()
    checkpoint = Checkpoint(started.run_id)
    loop = AgentLoop(
        principal=principal,
        blueprint=blueprint,
        run_id=started.run_id,
        root_agent_id=blueprint.agent_id,
        log=steps,
        trace=RunTrace(),
        options=opts,
        checkpoint=checkpoint,
    )
    checkpoint.text = lambda: "".join(loop.parts)
    passages: list[Passage] = []

    async def events() -> AsyncGenerator[RunEvent, None]:
        if not principal.main_connection(blueprint.agent_id, blueprint.connection_id):
            raise completion.GatewayError(
                "bad_request", "This agent has no connection. Pick a model in the builder.", None
            )
        passages.extend(await grounding.retrieve(principal=principal, query=text, plan=search))
        messages = list(grounding.with_context(build_messages(blueprint, history), passages))
        planned = PlanOutcome([])
        if blueprint.plan_complex:  # planner mode: maybe a plan run by executors first
            async with aclosing(plan_steps(loop, messages, text, planned)) as stream:
                async for event in stream:
                    yield event
        async with aclosing(loop.run(messages)) as stream:
            async for event in stream:
                yield event
        if planned.failed and not loop.pending:  # the answer always says which steps failed
            note = failure_note(planned.failed)
            loop.parts.append(note)
            yield TextDelta(note)

    async with aclosing(
        drive(principal=principal, started=started, loop=loop, events=events(), user_text=text, passages=passages)
    ) as stream:
        async for event in stream:
            yield event
