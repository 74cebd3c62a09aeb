"""Starting a developer-API run on the chat page's run path, and its events as JSON / SSE.

Every API run goes through ``backend.runtime.run.run_agent`` (the chat page's path): the same
run row, messages, gateway limits and budgets, usage records, checkpoints and Stop semantics.
"""

from __future__ import annotations

import asyncio
import json
from collections.abc import AsyncIterator, Sequence
from dataclasses import asdict
from typing import Any

from starlette.responses import StreamingResponse
from starlette.types import Receive, Scope, Send

from backend.api import streams
from backend.api.edge import Target, open_conversation, resolve
from backend.api.errors import ApiError
from backend.api.keys import KeyIdentity
from backend.chat.principal import conversation_for
from backend.chat.service import append_message
from backend.db import session_scope
from backend.runtime.events import (
    ApprovalRequired,
    Citation,
    PlanCreated,
    PlanStepUpdated,
    RunDone,
    RunEvent,
    RunFailed,
    RunStarted,
    TextDelta,
    ToolCallFinished,
    ToolCallStarted,
    UsageReport,
)
from backend.runtime.run import MAX_USER_MESSAGE_CHARS, run_agent

MAX_HISTORY = 100  # earlier messages of an OpenAI request stored as a new conversation's history

SSE_HEADERS = {"Cache-Control": "no-cache", "X-Accel-Buffering": "no"}


def check_text(text: str) -> str:
    """The user's message, stripped; raises ApiError 422 if empty or too long."""
    text = text.strip()
    if not text:
        raise ApiError(422, "The last message must be the user's and must not be empty.", param="messages")
    if len(text) > MAX_USER_MESSAGE_CHARS:
        raise ApiError(422, f"Messages are at most {MAX_USER_MESSAGE_CHARS:,} characters.", param="messages")
    return text


def _edge(
    identity: KeyIdentity,
    model: str,
    conversation_id: str | None,
    history: Sequence[tuple[str, str]],
    browser_id: str | None,
    ip: str | None,
) -> tuple[Target, str]:
    with session_scope() as session:
        target = resolve(identity, model, session, browser_id=browser_id, ip=ip)
        conv_id = open_conversation(target, conversation_id, session)
        if not conversation_id and history:
            conv = conversation_for(principal=target.principal, conversation_id=conv_id, session=session)
            for role, content in list(history)[-MAX_HISTORY:]:
                append_message(
                    conversation=conv, role=role, content=content[:MAX_USER_MESSAGE_CHARS], run_id=None, session=session
                )
        return target, conv_id


async def start_run(
    identity: KeyIdentity,
    model: str,
    text: str,
    *,
    conversation_id: str | None = None,
    history: Sequence[tuple[str, str]] = (),
    browser_id: str | None = None,
    ip: str | None = None,
) -> tuple[Target, streams.RunStream]:
    """Resolve the key's principal for ``model``, open (or check) the conversation, store the
    run and the user's message, and drive the run in its own task.

    Args:
        history: ``(role, text)`` pairs stored before ``text`` in a new conversation.

    Raises:
        The edge's errors (NotFound, ScopeDenied, BillingRefused, TryRefused, ValueError) and
        RunRejected, before anything of the run is stored.
    """
    target, conv_id = await asyncio.to_thread(_edge, identity, model, conversation_id, history, browser_id, ip)
    gen = run_agent(principal=target.principal, conversation_id=conv_id, user_text=text)
    started = await anext(gen)
    assert isinstance(started, RunStarted)  # noqa: S101  (run_agent's first event)
    return target, streams.start(started, gen, identity.id)


def event_payload(event: RunEvent, *, listing: bool) -> tuple[str, dict[str, Any]]:
    """``(SSE event type, JSON data)`` of a run event. A marketplace agent's usage shows tokens
    only (its model, connection and cost are the publisher's)."""
    if isinstance(event, RunStarted):
        return "started", asdict(event)
    if isinstance(event, TextDelta):
        return "token", {"text": event.text}
    if isinstance(event, ToolCallStarted):
        return "tool_step", {"phase": "started", **asdict(event)}
    if isinstance(event, ToolCallFinished):
        return "tool_step", {"phase": "finished", **asdict(event)}
    if isinstance(event, ApprovalRequired):
        return "approval_needed", asdict(event)
    if isinstance(event, Citation):
        return "citation", asdict(event)
    if isinstance(event, UsageReport):
        data: dict[str, Any] = {
            "prompt_tokens": event.prompt_tokens,
            "completion_tokens": event.completion_tokens,
            "total_tokens": event.prompt_tokens + event.completion_tokens,
        }
        if not listing:
            data.update(cost_nano_usd=event.cost_nano_usd, model=event.model, latency_ms=event.latency_ms)
        return "usage", data
    if isinstance(event, RunFailed):
        return "failed", {"kind": event.kind, "message": event.message}
    if isinstance(event, PlanCreated):
        return "plan", asdict(event)
    if isinstance(event, PlanStepUpdated):
        return "plan_step", asdict(event)
    assert isinstance(event, RunDone)  # noqa: S101
    return "done", asdict(event)


def sse(data: dict[str, Any] | str, *, event: str | None = None, event_id: int | None = None) -> str:
    """One server-sent event (WHATWG HTML, "Server-sent events")."""
    lines = []
    if event_id is not None:
        lines.append(f"id: {event_id}")
    if event is not None:
        lines.append(f"event: {event}")
    lines.append("data: " + (data if isinstance(data, str) else json.dumps(data, separators=(",", ":"))))
    return "\n".join(lines) + "\n\n"


KEEP_ALIVE = ": keep-alive\n\n"


class EventStreamResponse(StreamingResponse):
    """``text/event-stream`` whose body iterator is always closed when the response ends, also
    when the client went away (so the run's reader detaches and the grace period starts)."""

    media_type = "text/event-stream"

    def __init__(self, content: AsyncIterator[str]) -> None:
        super().__init__(content, headers=SSE_HEADERS, media_type="text/event-stream")
        self._content = content

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        try:
            await super().__call__(scope, receive, send)
        finally:
            aclose = getattr(self._content, "aclose", None)
            if aclose is not None:
                await aclose()


async def native_events(stream: streams.RunStream, after: int, *, listing: bool) -> AsyncIterator[str]:
    """The run's events after number ``after`` as SSE, live until the run ends. Events already
    buffered go out in one write (a burst of tokens is one send, not one each)."""
    reader = stream.follow(after)
    batch: list[str] = []
    try:
        async for item in reader:
            if item is None:
                yield KEEP_ALIVE
                continue
            number, event = item
            kind, data = event_payload(event, listing=listing)
            batch.append(sse(data, event=kind, event_id=number))
            if number >= len(stream.events):  # nothing more buffered: send now
                yield "".join(batch)
                batch.clear()
        if batch:
            yield "".join(batch)
    finally:
        await reader.aclose()
