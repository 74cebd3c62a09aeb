"""The gateway's one entry point: :func:`stream_chat` (and :func:`complete_chat` on top of it).

One call, in order:

1. **Plan** (one read transaction, in a worker thread): resolve the agent's model and fallbacks
   to connections, decrypting keys in memory only; read the rate-limit rules and budgets.
2. **Hygiene**: strip control characters, enforce size caps.
3. **Rate limit** once per call (not per attempt): requests/min and tokens/min.
4. For each candidate in order: skip it if its context window is smaller than the counted
   prompt; **reserve** the worst case on every budget; call the provider through
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
import math
import time
from collections.abc import AsyncGenerator, Sequence
from contextlib import aclosing
from typing import Any

from backend.accounts.principal import RunPrincipal
from backend.config import get_settings
from backend.db import session_scope
from backend.gateway import budgets, completion, hygiene
from backend.gateway.calls import Call, ChatEvent, ChatUsage, count_prompt, finish
from backend.gateway.candidates import Attempt, Candidate, Plan, RetryPolicy, Target, is_retryable, make_plan
from backend.gateway.catalog import worst_case
from backend.gateway.completion import TextDelta
from backend.gateway.inflight import InFlight
from backend.gateway.llm import GatewayError
from backend.gateway.ratelimit import RateLimiter, get_rate_limiter
from backend.gateway.toolcalls import ToolCallProgress, ToolCalls, tool_text

__all__ = ["ChatEvent", "ChatUsage", "TextDelta", "ToolCalls", "complete_chat", "stream_chat"]

log = logging.getLogger(__name__)

PROMPT_MARGIN = 1.05
"""Reservations count the prompt 5% (+8 tokens) high: providers' tokenizers differ slightly."""


async def _release(hold: budgets.Hold | None) -> None:
    """Give back a failed attempt's hold (nothing was streamed, so nothing was spent)."""
    if hold is None:
        return

    def run() -> None:
        with session_scope() as session:
            budgets.settle(session, hold, nano_usd=0, tokens=0)

    await asyncio.to_thread(run)


async def _attempt(
    call: Call,
    cand: Candidate,
    *,
    temperature: float | None,
    max_tokens: int | None,
    timeout_s: float,
    tools: list[dict[str, Any]] | None,
) -> AsyncGenerator[completion.CompletionEvent, None]:
    kwargs: dict[str, Any] = {
        "provider_id": cand.provider,
        "model": cand.target.model,
        "api_key": cand.api_key,
        "base_url": cand.base_url,
        "messages": call.messages,
        "temperature": temperature,
        "max_tokens": max_tokens,
        "timeout_s": timeout_s,
        "tools": tools,
    }
    call.called = True
    if not call.streamed:
        result = await completion.complete(**kwargs)
        if result.text:
            yield TextDelta(result.text)
        if result.tool_calls:
            yield ToolCalls(result.tool_calls)
        yield result.usage
        return
    async with aclosing(completion.stream_completion(**kwargs)) as stream:
        async for event in stream:
            yield event


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
    tool_specs = list(tools) if tools else None
    retry = retry or RetryPolicy.from_settings()
    timeout_s = timeout_s or get_settings().llm_timeout_s
    limiter = limiter or get_rate_limiter()
    call.first = targets[0] if targets else None
    plan: Plan = await asyncio.to_thread(make_plan, principal=principal, targets=targets)
    try:
        call.messages = hygiene.clean_messages(messages)
        await limiter.acquire(plan.rules)
        errors: list[GatewayError] = []
        for cand in plan.candidates:
            if isinstance(cand, Attempt):
                call.attempts.append(cand)
                continue
            began = time.perf_counter()
            prompt = count_prompt(cand.info.litellm_name, call.messages)
            window = cand.info.context_window
            if window is not None and prompt > window:
                call.attempts.append(Attempt(cand.target.connection_id, cand.target.model, "skipped", "context_window"))
                continue
            usd, tokens = worst_case(cand.info, math.ceil(prompt * PROMPT_MARGIN) + 8, max_tokens)
            call.current, call.prompt_tokens = cand, prompt
            call.hold = await asyncio.to_thread(
                budgets.reserve,
                plan.budgets,
                usd=usd,
                tokens=tokens,
                ttl_s=get_settings().budget_hold_ttl_s,
                run_id=run_id,
            )
            tries, error, usage = 0, None, None
            while True:
                tries, error = tries + 1, None
                try:
                    async with aclosing(
                        _attempt(
                            call,
                            cand,
                            temperature=temperature,
                            max_tokens=max_tokens,
                            timeout_s=timeout_s,
                            tools=tool_specs,
                        )
                    ) as events:
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
                                usage = event
                    break
                except GatewayError as exc:
                    error = exc
                    if call.parts:  # tokens already reached the user: no retry, no fallback
                        ms = int((time.perf_counter() - began) * 1000)
                        call.attempts.append(
                            Attempt(
                                cand.target.connection_id,
                                cand.target.model,
                                "error",
                                exc.kind,
                                exc.status_code,
                                tries,
                                ms,
                            )
                        )
                        raise
                    delay = retry.delay(tries - 1, exc.retry_after_s) if is_retryable(exc) else None
                    if delay is None:
                        break
                    await asyncio.sleep(delay)
            ms = int((time.perf_counter() - began) * 1000)
            if error is None and usage is not None:
                call.attempts.append(Attempt(cand.target.connection_id, cand.target.model, "ok", "", None, tries, ms))
                record = await asyncio.to_thread(finish, call, status="ok", usage=usage)
                assert record is not None
                await limiter.record_tokens(plan.rules, record.prompt_tokens + record.completion_tokens)
                yield ChatUsage(
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
                return
            assert error is not None
            call.attempts.append(
                Attempt(cand.target.connection_id, cand.target.model, "error", error.kind, error.status_code, tries, ms)
            )
            await _release(call.hold)
            call.hold = None
            errors.append(error)
            if not is_retryable(error):
                raise error
        raise _all_failed(call, errors)
    except GatewayError as exc:
        status = "error" if call.called else "rejected"
        record = await asyncio.to_thread(finish, call, status=status, error=exc)
        if record is not None:
            await limiter.record_tokens(plan.rules, record.prompt_tokens + record.completion_tokens)
        raise
    except (GeneratorExit, asyncio.CancelledError):
        if not call.recorded:  # stopped by the consumer: charge what was streamed (blocking write)
            if call.current is not None and call.called:
                cand = call.current
                call.attempts.append(Attempt(cand.target.connection_id, cand.target.model, "cancelled"))
            finish(call, status="cancelled")
        raise
    except Exception as exc:
        log.exception("gateway call failed unexpectedly")
        try:
            finish(call, status="error", error=GatewayError("provider", f"{type(exc).__name__}: {exc}"))
        except Exception:
            log.exception("could not record the failed gateway call")
        raise


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
