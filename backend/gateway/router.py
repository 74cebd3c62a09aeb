"""The gateway's one entry point: :func:`stream_chat` (and :func:`complete_chat` on top of it).

One call, in order, with at most two short transactions on two thread hops:

1. **Open** (one transaction, in a worker thread: :func:`backend.gateway.opening.open_call`):
   **plan** (resolve the agent's model and fallbacks to connections, decrypting keys in memory only; read the rate-limit
   rules and budgets), **hygiene** (strip control characters, enforce size caps), count the
   prompt and **reserve** the first usable candidate's worst case on every budget.
2. **Rate limit** once per call (not per attempt): requests/min and tokens/min. A refused call
   gives its hold back in the transaction that records it.
3. For each candidate in order (:func:`_run`): skip it if its context window is smaller than
   the counted prompt; reserve (the first one's hold is already taken); call the provider through
   ``completion.stream_completion`` (or ``complete``), **retrying** retryable errors (timeout,
   429, 5xx, unreachable) with jittered exponential back-off while no token has been streamed;
   on a provider error, timeout or rate limit **fall back** to the next candidate. Auth and
   bad-request errors end the call: another model would hide a configuration mistake.
5. **Settle** the budget hold to the actual cost and write **one usage record per call** (not
   per attempt) in the same transaction; ``fallback_path`` lists every attempt. Rejected calls
   (rate limit, budget, size cap) and failed or cancelled ones are recorded too.

Cost comes from the provider's token counts, priced by LiteLLM's map (``completion``) or by the
connection's override (``catalog.call_cost``): one rule for streamed and non-streamed calls, so
the same usage costs the same. Text already streamed when a call fails or is stopped is counted
locally (``litellm.token_counter``) and charged: providers bill partial output.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import AsyncGenerator, Sequence
from contextlib import aclosing
from dataclasses import dataclass
from typing import Any

from backend.accounts.principal import RunPrincipal
from backend.config import get_settings
from backend.gateway import completion
from backend.gateway.calls import Call, ChatEvent, ChatUsage, Recorded, finish
from backend.gateway.candidates import Attempt, Candidate, Plan, RetryPolicy, Target, is_retryable
from backend.gateway.completion import TextDelta
from backend.gateway.inflight import InFlight
from backend.gateway.llm import GatewayError
from backend.gateway.opening import CallOptions, next_candidate, open_call
from backend.gateway.ratelimit import RateLimiter, get_rate_limiter
from backend.gateway.toolcalls import ToolCallProgress, ToolCalls, tool_text

__all__ = ["ChatEvent", "ChatUsage", "TextDelta", "ToolCalls", "complete_chat", "stream_chat"]

log = logging.getLogger(__name__)


@dataclass
class _Outcome:
    """How one candidate ended: its usage, or the last error; HTTP requests made."""

    usage: completion.Usage | None = None
    error: GatewayError | None = None
    tries: int = 0


def _attempt(call: Call, cand: Candidate, opts: CallOptions) -> AsyncGenerator[completion.CompletionEvent, None]:
    """One provider request: the streamed completion itself (no extra generator layer per chunk),
    or one non-streamed call turned into events."""
    kwargs: dict[str, Any] = {
        "provider_id": cand.provider,
        "model": cand.target.model,
        "api_key": cand.api_key,
        "base_url": cand.base_url,
        "messages": call.messages,
        "temperature": opts.temperature,
        "max_tokens": opts.max_tokens,
        "timeout_s": opts.timeout_s,
        "tools": opts.tools,
    }
    call.called = True
    if call.streamed:
        return completion.stream_completion(**kwargs)
    return _complete(kwargs)


async def _complete(kwargs: dict[str, Any]) -> AsyncGenerator[completion.CompletionEvent, None]:
    """A non-streamed provider call as events: its text, its tool calls, then its usage."""
    result = await completion.complete(**kwargs)
    if result.text:
        yield TextDelta(result.text)
    if result.tool_calls:
        yield ToolCalls(result.tool_calls)
    yield result.usage


async def _serve(
    call: Call, cand: Candidate, opts: CallOptions, out: _Outcome, began: float
) -> AsyncGenerator[ChatEvent, None]:
    """Ask one candidate, retrying retryable errors while nothing has been streamed.

    Fills ``out``: the usage on success, else the last error (to fall back on). An error after
    the first token is raised: the reply already reached the user.
    """
    while True:
        out.tries, out.error = out.tries + 1, None
        try:
            async with aclosing(_attempt(call, cand, opts)) as events:
                async for event in events:
                    if isinstance(event, ToolCallProgress):  # the reply began: no retry/fallback now
                        if call.ttft_ms is None:
                            call.ttft_ms = call.ms()
                        call.parts.append("")
                    elif isinstance(event, ToolCalls):
                        call.parts.append(tool_text(event.calls))
                        yield event
                    elif isinstance(event, TextDelta):
                        if call.ttft_ms is None and call.streamed:
                            call.ttft_ms = call.ms()
                        call.parts.append(event.text)
                        yield event
                    else:
                        out.usage = event
            return
        except GatewayError as exc:
            out.error = exc
            if call.parts:  # tokens already reached the user: no retry, no fallback
                call.attempts.append(_attempt_of(cand, "error", exc, out.tries, began))
                raise
            delay = opts.retry.delay(out.tries - 1, exc.retry_after_s) if is_retryable(exc) else None
            if delay is None:
                return
            await asyncio.sleep(delay)


def _attempt_of(cand: Candidate, outcome: str, error: GatewayError | None, tries: int, began: float) -> Attempt:
    ms = int((time.perf_counter() - began) * 1000)
    kind, status = (error.kind, error.status_code) if error is not None else ("", None)
    return Attempt(cand.target.connection_id, cand.target.model, outcome, kind, status, tries, ms)


def _chat_usage(record: Recorded, cand: Candidate) -> ChatUsage:
    return ChatUsage(
        model=record.model,
        connection_id=cand.target.connection_id,
        provider=cand.provider,
        prompt_tokens=record.prompt_tokens,
        completion_tokens=record.completion_tokens,
        cached_tokens=record.cached_tokens,
        cost_nano_usd=record.cost_nano_usd,
        cost_note=record.cost_note,
        latency_ms=record.latency_ms,
        ttft_ms=record.ttft_ms,
        fallback_path=tuple(record.fallback_path),
        usage_id=record.id,
    )


async def _run(
    call: Call, plan: Plan, index: int, opts: CallOptions, limiter: RateLimiter
) -> AsyncGenerator[ChatEvent, None]:
    """Rate-limit the call, then try the candidates from ``index`` on until one answers."""
    await limiter.acquire(plan.rules)
    errors: list[GatewayError] = []
    while index < len(plan.candidates):
        cand = plan.candidates[index]
        assert isinstance(cand, Candidate)
        began, out = time.perf_counter(), _Outcome()
        async with aclosing(_serve(call, cand, opts, out, began)) as events:
            async for event in events:
                yield event
        if out.error is None and out.usage is not None:
            call.attempts.append(_attempt_of(cand, "ok", None, out.tries, began))
            record = await asyncio.to_thread(finish, call, status="ok", usage=out.usage)
            assert record is not None
            await limiter.record_tokens(plan.rules, record.prompt_tokens + record.completion_tokens)
            yield _chat_usage(record, cand)
            return
        assert out.error is not None
        call.attempts.append(_attempt_of(cand, "error", out.error, out.tries, began))
        errors.append(out.error)
        if not is_retryable(out.error):
            raise out.error
        index = await asyncio.to_thread(next_candidate, call, plan, index + 1, opts)
    raise _all_failed(call, errors)


async def stream_chat(
    *,
    principal: RunPrincipal,
    targets: Sequence[Target],
    messages: Sequence[dict[str, Any]],
    temperature: float | None = None,
    max_tokens: int | None = None,
    run_id: str | None = None,
    stream: bool = True,
    timeout_s: float | None = None,
    retry: RetryPolicy | None = None,
    limiter: RateLimiter | None = None,
    tools: Sequence[dict[str, Any]] | None = None,
    progress: InFlight | None = None,
) -> AsyncGenerator[ChatEvent, None]:
    """Answer ``messages`` with the first target that can, streaming the reply.

    Args:
        principal: Whom the call is for, resolved at the edge: the owner workspace (its
            connections, budgets, rate limits; charged), the agent (agent budgets, limits and
            usage; ``""`` for none), the end user (end-user budgets, limits and usage) and the
            caller (stored on the usage record).
        targets: Main model first, then fallbacks (``candidates.targets_for``).
        messages: OpenAI-style ``[{"role", "content"}]``.
        temperature: Sampling temperature, None for the provider default.
        max_tokens: Output cap, tokens; also the output part of the budget's worst case.
        run_id: The run this call belongs to, stored on the usage record.
        stream: False makes one non-streamed provider call (one ``TextDelta`` with the whole
            text); cost and records are the same as for a streamed call.
        timeout_s: Per-request timeout, seconds (default ``Settings.llm_timeout_s``).
        retry: Retry policy (default from settings).
        limiter: Rate limiter (default: the process-wide one).
        tools: OpenAI function specs the model may call (``registry.openai_tool_specs``);
            None or empty sends no ``tools``.
        progress: Pointed at this call, so the run's checkpoint can store what it has streamed
            (``inflight.InFlight``); None for calls outside a run.

    Yields:
        ``TextDelta`` s in arrival order, one ``ToolCalls`` when the model called tools
        (complete calls, streamed fragments joined), then one :class:`ChatUsage`.

    Raises:
        GatewayError: the call failed; kinds as in ``completion.stream_completion`` plus
            ``rate_limit`` from the gateway (``ratelimit.RateLimited``, no status code),
            ``budget`` (``budgets.BudgetExceeded``) and ``bad_request`` for size caps or when
            every candidate's context window is too small. After fallbacks the message names
            every model tried.
        NotFound: the main connection is not the owner workspace's.
    """
    call = Call(principal, run_id, stream)
    if progress is not None:
        progress.call = call
    opts = CallOptions(
        temperature,
        max_tokens,
        timeout_s or get_settings().llm_timeout_s,
        list(tools) if tools else None,
        retry or RetryPolicy.from_settings(),
        run_id,
    )
    limiter = limiter or get_rate_limiter()
    call.first = targets[0] if targets else None
    plan, index, rejected = await asyncio.to_thread(open_call, call, targets, messages, opts)
    try:
        if rejected is not None:
            raise rejected
        async with aclosing(_run(call, plan, index, opts, limiter)) as events:
            async for event in events:
                yield event
    except GatewayError as exc:
        record = await asyncio.to_thread(finish, call, status="error" if call.called else "rejected", error=exc)
        if record is not None:
            await limiter.record_tokens(plan.rules, record.prompt_tokens + record.completion_tokens)
        raise
    except (GeneratorExit, asyncio.CancelledError):
        if not call.recorded:  # stopped by the consumer: charge what was streamed
            if call.current is not None and call.called:
                cand = call.current
                call.attempts.append(Attempt(cand.target.connection_id, cand.target.model, "cancelled"))
            await _record_cancelled(call)
        raise
    except Exception as exc:
        log.exception("gateway call failed unexpectedly")
        try:
            finish(call, status="error", error=GatewayError("provider", f"{type(exc).__name__}: {exc}"))
        except Exception:
            log.exception("could not record the failed gateway call")
        raise


async def _record_cancelled(call: Call) -> None:
    """Record a stopped call in a worker thread, shielded: a second cancellation cannot lose it."""
    try:
        asyncio.get_running_loop()
    except RuntimeError:  # closed outside any event loop (garbage collection at exit): write here
        finish(call, status="cancelled")
        return
    await asyncio.shield(asyncio.to_thread(finish, call, status="cancelled"))


def _all_failed(call: Call, errors: list[GatewayError]) -> GatewayError:
    """The error to raise when no candidate answered."""
    if not errors:
        if any(a.error_kind == "context_window" for a in call.attempts):
            return GatewayError(
                "bad_request",
                "The conversation is too long for every model this agent may use. Start a new conversation.",
            )
        return GatewayError("bad_request", "None of this agent's models is available. Check its connections.")
    last = errors[-1]
    if len(call.attempts) < 2:
        return last
    tried = ", ".join(f"{a.model} ({a.error_kind or a.outcome})" for a in call.attempts)
    return GatewayError(last.kind, f"{last.message} Tried: {tried}.", last.status_code, last.retry_after_s)


async def complete_chat(**kwargs: Any) -> tuple[str, ChatUsage]:
    """Non-streamed :func:`stream_chat` (same arguments except ``stream``).

    Returns:
        ``(text, usage)``.

    Raises:
        As :func:`stream_chat`.
    """
    parts: list[str] = []
    usage: ChatUsage | None = None
    async with aclosing(stream_chat(stream=False, **kwargs)) as events:
        async for event in events:
            if isinstance(event, TextDelta):
                parts.append(event.text)
            elif isinstance(event, ChatUsage):
                usage = event
    assert usage is not None
    return "".join(parts), usage
