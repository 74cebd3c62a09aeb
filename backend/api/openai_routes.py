"""OpenAI-compatible routes: ``POST /api/v1/chat/completions`` (streaming and not) and
``GET /api/v1/models``. The official ``openai`` package works against them unchanged
(``base_url=".../api/v1"``, ``api_key`` = an Agent Hub key, ``model`` = an agent's model id)."""

from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncGenerator, AsyncIterator
from typing import Any

from fastapi import APIRouter, Depends, Request
from fastapi.responses import JSONResponse, Response

from backend.api import streams
from backend.api.deps import api_key, client_ip
from backend.api.edge import available
from backend.api.errors import ApiError, from_failure
from backend.api.keys import KeyIdentity
from backend.api.runner import KEEP_ALIVE, EventStreamResponse, check_text, sse, start_run
from backend.api.schemas import (
    CHUNK_EVENT_SCHEMA,
    ChatCompletion,
    ChatCompletionRequest,
    ErrorBody,
    ModelCard,
    ModelList,
)
from backend.db import session_scope
from backend.runtime.events import (
    ApprovalRequired,
    RunDone,
    RunEvent,
    RunFailed,
    TextDelta,
    ToolCallStarted,
    UsageReport,
)

router = APIRouter(tags=["OpenAI-compatible"])

ERRORS: dict[int | str, dict[str, Any]] = {
    400: {"model": ErrorBody, "description": "The body is not valid JSON (or not a multipart form)."},
    401: {"model": ErrorBody, "description": "Missing, unknown, revoked or expired key."},
    402: {"model": ErrorBody, "description": "Billing refuses the subscription's plan."},
    403: {"model": ErrorBody, "description": "The key's scope or allowed origins do not cover this."},
    404: {"model": ErrorBody, "description": "No such model (agent) for this key."},
    422: {"model": ErrorBody, "description": "Invalid request body."},
    429: {"model": ErrorBody, "description": "A rate limit, budget or trial refused the call; see Retry-After."},
}
_STARTED_ANSWER = (TextDelta, ToolCallStarted, ApprovalRequired, RunDone)


def _models(identity: KeyIdentity) -> list[tuple[str, str, str]]:
    with session_scope() as session:
        return available(identity, session)


@router.get("/models", response_model=ModelList, responses=ERRORS, summary="List the models (agents) this key can use")
async def list_models(identity: KeyIdentity = Depends(api_key)) -> ModelList:
    """Own agents (scope ``agent`` or ``workspace``) or the subscription's listing (scope ``listing``)."""
    now = int(time.time())
    rows = await asyncio.to_thread(_models, identity)
    return ModelList(data=[ModelCard(id=m, created=now, owned_by=owner, title=title) for m, title, owner in rows])


def _usage(report: UsageReport | None) -> dict[str, int]:
    prompt = report.prompt_tokens if report else 0
    completion = report.completion_tokens if report else 0
    return {"prompt_tokens": prompt, "completion_tokens": completion, "total_tokens": prompt + completion}


async def _peek(reader: AsyncGenerator[tuple[int, RunEvent] | None, None], request: Request) -> list[RunEvent]:
    """Events up to the first sign of an answer; raises ApiError if the run failed before it
    (so the client gets a real status: 429 with Retry-After, 502, ...)."""
    seen: list[RunEvent] = []
    async for item in reader:
        if item is None:
            if await request.is_disconnected():
                raise ApiError(499, "Client closed the request.")
            continue
        event = item[1]
        if isinstance(event, RunFailed):
            raise from_failure(event)
        seen.append(event)
        if isinstance(event, _STARTED_ANSWER):
            break
    return seen


@router.post(
    "/chat/completions",
    response_model=ChatCompletion,
    responses={
        **ERRORS,
        200: {
            "description": "A chat completion, or with `stream: true` server-sent `chat.completion.chunk`s "
            "ending with `data: [DONE]`.",
            "content": {"text/event-stream": {"schema": CHUNK_EVENT_SCHEMA}},
        },
    },
    summary="Run an agent as an OpenAI chat completion",
)
async def chat_completions(
    body: ChatCompletionRequest, request: Request, identity: KeyIdentity = Depends(api_key)
) -> Response:
    """Runs the agent named by ``model`` on the last (user) message, through the same run path as
    the chat page; ``usage`` is the sum of the run's usage records. A client that disconnects
    cancels the run (stored like Stop)."""
    last = body.messages[-1]
    if last.role != "user":
        raise ApiError(422, "The last message must be the user's.", param="messages")
    text = check_text(last.text())
    history = [(m.role, m.text()) for m in body.messages[:-1] if m.role in ("user", "assistant") and m.text().strip()]
    browser = request.headers.get("x-agenthub-browser-id")
    target, stream = await start_run(
        identity, body.model, text, conversation_id=body.conversation_id, history=history,
        browser_id=browser, ip=client_ip(request),
    )  # fmt: skip
    reader = stream.follow()
    try:
        seen = await _peek(reader, request)
    except BaseException:
        await reader.aclose()
        stream.cancel()
        raise
    meta = {"id": f"chatcmpl-{stream.run_id}", "created": int(time.time()), "model": target.model}
    conversation = seen[0].conversation_id if seen and hasattr(seen[0], "conversation_id") else ""
    if body.stream:
        include_usage = bool(body.stream_options and body.stream_options.include_usage)
        return EventStreamResponse(_chunks(stream, reader, seen, meta, include_usage, conversation))
    return await _complete(reader, seen, meta, conversation, request, stream)


async def _complete(
    reader: AsyncGenerator[tuple[int, RunEvent] | None, None],
    seen: list[RunEvent],
    meta: dict[str, Any],
    conversation: str,
    request: Request,
    stream: streams.RunStream,
) -> JSONResponse:
    events = list(seen)
    try:
        async for item in reader:
            if item is None:
                if await request.is_disconnected():
                    stream.cancel()
                    raise ApiError(499, "Client closed the request.")
                continue
            events.append(item[1])
    finally:
        await reader.aclose()
    text = "".join(e.text for e in events if isinstance(e, TextDelta))
    failed = next((e for e in events if isinstance(e, RunFailed)), None)
    if failed is not None:
        raise from_failure(failed)
    usage = next((e for e in events if isinstance(e, UsageReport)), None)
    done = next((e for e in events if isinstance(e, RunDone)), None)
    finish = "stop" if done is None or done.status == "succeeded" else done.status
    body = {
        **meta,
        "object": "chat.completion",
        "choices": [{"index": 0, "message": {"role": "assistant", "content": text}, "finish_reason": finish}],
        "usage": _usage(usage),
        "conversation_id": conversation,
    }
    return JSONResponse(body)


async def _chunks(
    stream: streams.RunStream,
    reader: AsyncGenerator[tuple[int, RunEvent] | None, None],
    seen: list[RunEvent],
    meta: dict[str, Any],
    include_usage: bool,
    conversation: str,
) -> AsyncIterator[str]:
    def chunk(delta: dict[str, Any], finish: str | None = None) -> str:
        choice = {"index": 0, "delta": delta, "finish_reason": finish}
        return sse({**meta, "object": "chat.completion.chunk", "choices": [choice], "conversation_id": conversation})

    async def rest() -> AsyncIterator[tuple[RunEvent | None, bool]]:
        """Each event and whether more are already buffered behind it."""
        for index, event in enumerate(seen):
            yield event, index < len(seen) - 1  # the peeked events, flushed after the last one
        async for item in reader:
            yield (None, False) if item is None else (item[1], item[0] < len(stream.events))

    usage: UsageReport | None = None
    out = [chunk({"role": "assistant", "content": ""})]
    try:
        async for event, more in rest():
            if event is None:
                out.append(KEEP_ALIVE)
            elif isinstance(event, TextDelta):
                out.append(chunk({"content": event.text}))
            elif isinstance(event, UsageReport):
                usage = event
            elif isinstance(event, RunFailed):
                out.append(sse(from_failure(event).body()))
                yield "".join(out)
                return
            elif isinstance(event, RunDone):
                out.append(chunk({}, "stop" if event.status == "succeeded" else event.status))
            if out and not more:  # a burst of tokens goes out in one write
                yield "".join(out)
                out.clear()
        if include_usage:
            out.append(sse({**meta, "object": "chat.completion.chunk", "choices": [], "usage": _usage(usage)}))
        yield "".join([*out, sse("[DONE]")])
    finally:
        await reader.aclose()
