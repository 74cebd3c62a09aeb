"""Run an agent on one user message and stream what happens as :mod:`backend.runtime.events`.

The run row, the user's message and (on success) the answer are stored as the run goes, so an
error or a Stop loses nothing: the user's message always stays in the conversation.
"""

from __future__ import annotations

import logging
import time
from collections.abc import AsyncIterator
from contextlib import aclosing

from sqlmodel import col, select

from backend.accounts.actor import Actor
from backend.chat.service import append_message, get_conversation
from backend.db import session_scope
from backend.gateway import completion, router
from backend.gateway.candidates import targets_for
from backend.models import BlueprintVersion, Message, Run
from backend.models.common import utcnow
from backend.runtime import grounding
from backend.runtime.context import build_messages
from backend.runtime.events import RunDone, RunEvent, RunFailed, RunStarted, TextDelta, UsageReport
from backend.security.redact import redact_secrets

log = logging.getLogger(__name__)
MAX_USER_MESSAGE_CHARS = 32000


class RunRejected(ValueError):
    """The message was not accepted (empty or too long); nothing was stored."""


def _start(actor: Actor, conversation_id: str, text: str) -> tuple[RunStarted, BlueprintVersion, list[tuple[str, str]]]:
    with session_scope() as session:
        conv = get_conversation(actor=actor, conversation_id=conversation_id, session=session)
        blueprint = session.get(BlueprintVersion, conv.blueprint_version_id)
        assert blueprint is not None  # noqa: S101  (foreign key)
        run = Run(
            workspace_id=actor.workspace_id,
            agent_id=conv.agent_id,
            user_id=actor.user_id,
            conversation_id=conv.id,
            blueprint_version_id=blueprint.id,
            connection_id=blueprint.connection_id,
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
        return RunStarted(run.id, conv.id, msg.id), blueprint, [(r, c) for r, c in rows]


def _finish(
    actor: Actor,
    started: RunStarted,
    *,
    status: str,
    text: str,
    usage: UsageReport | None,
    error: str = "",
    provider: str = "",
) -> str | None:
    with session_scope() as session:
        run = session.get(Run, started.run_id)
        assert run is not None  # noqa: S101
        conv = get_conversation(actor=actor, conversation_id=started.conversation_id, session=session)
        message_id = None
        if text:
            message_id = append_message(
                conversation=conv, role="assistant", content=text, run_id=run.id, session=session
            ).id
        run.status, run.error, run.finished_at = status, error, utcnow()
        run.provider = provider or run.provider
        if usage is not None:
            run.model = usage.model or run.model
            run.connection_id = usage.connection_id or run.connection_id
            run.fallback_path = list(usage.fallback_path)
            run.prompt_tokens, run.completion_tokens = usage.prompt_tokens, usage.completion_tokens
            run.cost_usd, run.cost_note = usage.cost_usd, usage.cost_note
            run.latency_ms, run.ttft_ms = usage.latency_ms, usage.ttft_ms
        elif run.created_at is not None:
            run.latency_ms = int((utcnow() - run.created_at).total_seconds() * 1000)
        if message_id is None and status != "succeeded":
            # Keep the failure visible in the conversation, tied to its run.
            message_id = append_message(
                conversation=conv, role="assistant", content="", run_id=run.id, session=session
            ).id
        session.add(run)
        return message_id


async def run_agent(*, actor: Actor, conversation_id: str, user_text: str) -> AsyncIterator[RunEvent]:
    """Answer ``user_text`` in a conversation, streaming events.

    Yields:
        ``RunStarted``, then ``TextDelta``s, one ``UsageReport`` on success or ``RunFailed`` on
        error, and always a final ``RunDone``. Closing the generator early (Stop) stores the
        partial answer and marks the run ``cancelled``.

    Raises:
        RunRejected: empty or over-long message (nothing stored).
        NotFound, PermissionDenied: the conversation is not the actor's.
    """
    text = user_text.strip()
    if not text:
        raise RunRejected("Type a message first.")
    if len(text) > MAX_USER_MESSAGE_CHARS:
        raise RunRejected(f"Messages are at most {MAX_USER_MESSAGE_CHARS:,} characters.")
    started, blueprint, history = _start(actor, conversation_id, text)
    yield started
    parts: list[str] = []
    usage: UsageReport | None = None
    provider = ""
    finished = False
    began = time.perf_counter()
    try:
        if not blueprint.connection_id:
            raise completion.GatewayError(
                "bad_request", "This agent has no connection. Pick a model in the builder.", None
            )
        passages = await grounding.retrieve(actor=actor, agent_id=blueprint.agent_id, query=text)
        stream = router.stream_chat(  # routing, fallbacks, limits, budgets, usage record
            actor=actor,
            targets=targets_for(blueprint.connection_id, blueprint.model, blueprint.fallbacks),
            messages=grounding.with_context(build_messages(blueprint, history), passages),
            temperature=blueprint.temperature,
            max_tokens=blueprint.max_tokens,
            agent_id=blueprint.agent_id,
            end_user_id=actor.user_id,
            run_id=started.run_id,
        )
        async with aclosing(stream):  # a Stop closes the gateway call now (settles its budget hold)
            async for event in stream:
                if isinstance(event, router.TextDelta):
                    parts.append(event.text)
                    yield TextDelta(event.text)
                elif isinstance(event, router.ChatUsage):
                    provider = event.provider
                    usage = UsageReport(
                        model=event.model,
                        prompt_tokens=event.prompt_tokens,
                        completion_tokens=event.completion_tokens,
                        cost_usd=event.cost_usd,
                        cost_note=event.cost_note,
                        latency_ms=event.latency_ms,
                        ttft_ms=event.ttft_ms,
                        connection_id=event.connection_id,
                        provider=event.provider,
                        fallback_path=event.fallback_path,
                    )
        cited = grounding.citations("".join(parts), passages)
        for citation in cited:
            yield citation
        if usage is not None:
            yield usage
        message_id = _finish(actor, started, status="succeeded", text="".join(parts), usage=usage, provider=provider)
        finished = True
        await grounding.record(
            actor=actor, agent_id=blueprint.agent_id, conversation_id=started.conversation_id, run_id=started.run_id,
            message_id=message_id, user_text=text, answer="".join(parts), cited=cited,
        )  # fmt: skip
        yield RunDone(started.run_id, "succeeded", message_id)
    except completion.GatewayError as exc:
        reason = redact_secrets(exc.message)
        message_id = _finish(
            actor, started, status="failed", text="".join(parts), usage=usage, error=reason, provider=provider
        )
        finished = True
        yield RunFailed(exc.kind, reason)
        yield RunDone(started.run_id, "failed", message_id)
    except Exception as exc:  # the run must never crash the page; record why it failed
        log.exception("run %s failed", started.run_id)
        reason = redact_secrets(f"Unexpected error: {type(exc).__name__}: {exc}")[:500]
        message_id = _finish(
            actor, started, status="failed", text="".join(parts), usage=usage, error=reason, provider=provider
        )
        finished = True
        yield RunFailed("internal", reason)
        yield RunDone(started.run_id, "failed", message_id)
    finally:
        if not finished:
            elapsed = int((time.perf_counter() - began) * 1000)
            log.info("run %s cancelled after %d ms", started.run_id, elapsed)
            _finish(
                actor,
                started,
                status="cancelled",
                text="".join(parts),
                usage=usage,
                error="Stopped by the user.",
                provider=provider,
            )
