"""Chat completions through LiteLLM: streamed text deltas, then one usage/cost record.

One call, no retries or fallbacks (``num_retries=0``, ``max_retries=0``): those belong to a
separate layer. Cost comes from LiteLLM's bundled price map (``litellm.cost_per_token``); a
model the map does not know (most custom-endpoint models) costs ``0.0`` with a ``cost_note``.
A custom endpoint serving a name the map knows (a proxy's ``gpt-4o-mini``) gets that list price.
Errors are raised as ``GatewayError`` with plain-words messages that never contain the key.
A custom base URL is called through the model-endpoint outbound policy
(:mod:`backend.gateway.endpoints`).
"""

from __future__ import annotations

import time
from collections.abc import AsyncGenerator
from dataclasses import dataclass
from typing import Any

from backend.connections.providers import get_provider, litellm_model_name
from backend.gateway import endpoints
from backend.gateway.llm import GatewayError, host_of, litellm, to_gateway_error
from backend.gateway.toolcalls import ToolCallAccumulator, ToolCallProgress, ToolCalls, message_tool_calls, tool_text

# Sent as the key to OpenAI-compatible endpoints that need none: without an explicit key the
# OpenAI SDK would fall back to the server's own OPENAI_API_KEY and send it to the user's URL.
NO_KEY = "no-key"


@dataclass(frozen=True)
class TextDelta:
    """A piece of the reply text, in arrival order."""

    text: str


@dataclass(frozen=True)
class Usage:
    """Token use, cost and timing of one completed call (the last event of a stream).

    Attributes:
        prompt_tokens: Input tokens (as reported by the provider, else counted locally).
        completion_tokens: Output tokens (same source).
        cost_usd: Cost in USD from LiteLLM's price map; 0.0 if the price is unknown.
        cost_note: Why the cost may be wrong (unknown price, locally counted tokens), or None.
        ttft_ms: Milliseconds from the request to the first text, None if no text / not streamed.
        latency_ms: Milliseconds from the request to the end of the reply.
        model: The model id as requested, e.g. ``"gpt-4o-mini"`` (no LiteLLM prefix).
        cached_tokens: Prompt tokens served from the provider's prompt cache (part of
            ``prompt_tokens``, billed at the cache-read price), 0 if none or not reported.
    """

    prompt_tokens: int
    completion_tokens: int
    cost_usd: float
    cost_note: str | None
    ttft_ms: int | None
    latency_ms: int
    model: str
    cached_tokens: int = 0


CompletionEvent = TextDelta | ToolCallProgress | ToolCalls | Usage


@dataclass(frozen=True)
class CompletionResult:
    """A non-streamed reply: the whole ``text``, the tool calls (may be empty) and its ``Usage``."""

    text: str
    usage: Usage
    tool_calls: tuple[tuple[str, str, str], ...] = ()


def price_per_million(model_litellm_name: str) -> tuple[float, float] | None:
    """Listed price of a model, from LiteLLM's bundled price map.

    Args:
        model_litellm_name: LiteLLM name, e.g. ``"openai/gpt-4o-mini"`` or ``"gpt-4o-mini"``.

    Returns:
        ``(input, output)`` in USD per 1,000,000 tokens, e.g. ``(0.15, 0.6)``; ``None`` if the
        model is not in the map.
    """
    try:
        info = litellm.get_model_info(model=model_litellm_name)
    except Exception:
        return None
    prompt, output = info.get("input_cost_per_token"), info.get("output_cost_per_token")
    if prompt is None or output is None:
        return None
    return float(prompt) * 1_000_000, float(output) * 1_000_000


def estimate_cost(
    model_litellm_name: str, prompt_tokens: int, completion_tokens: int, cached_tokens: int = 0
) -> tuple[float, str | None]:
    """Cost of a call from LiteLLM's price map (``litellm.cost_per_token``, tiers included).

    Args:
        model_litellm_name: LiteLLM name, e.g. ``"anthropic/claude-haiku-4-5"``.
        prompt_tokens: Input tokens (cached ones included).
        completion_tokens: Output tokens.
        cached_tokens: Input tokens read from the provider's prompt cache (cache-read price).

    Returns:
        ``(cost_usd, note)``: ``note`` is None when priced, else
        ``(0.0, "price unknown for <model>: counted as $0")``.
    """
    try:
        prompt_usd, completion_usd = litellm.cost_per_token(
            model=model_litellm_name,
            prompt_tokens=prompt_tokens,
            completion_tokens=completion_tokens,
            cache_read_input_tokens=cached_tokens,
        )
    except Exception:
        model = model_litellm_name.split("/", 1)[-1]
        return 0.0, f"price unknown for {model}: counted as $0"
    return float(prompt_usd) + float(completion_usd), None


def _call_kwargs(
    provider_id: str,
    model: str,
    api_key: str | None,
    base_url: str | None,
    messages: list[dict[str, Any]],
    temperature: float | None,
    max_tokens: int | None,
    timeout_s: float,
    tools: list[dict[str, Any]] | None = None,
) -> dict[str, Any]:
    provider = get_provider(provider_id)
    if provider.needs_base_url and not base_url:
        raise GatewayError("bad_request", f"{provider.label} needs a base URL.", None)
    if not api_key and provider.needs_api_key:
        # Never let LiteLLM fall back to this server's environment keys for a user's call.
        raise GatewayError("auth", f"No API key is set for {provider.label}.", None)
    kwargs: dict[str, Any] = {
        "model": litellm_model_name(provider_id, model),
        "messages": messages,
        "api_key": api_key or NO_KEY,
        "timeout": timeout_s,
        "num_retries": 0,
        "max_retries": 0,
        "drop_params": True,  # e.g. temperature on models that only accept the default
    }
    if base_url:
        endpoints.check_base_url(base_url)
        kwargs["api_base"] = base_url.rstrip("/")
    if temperature is not None:
        kwargs["temperature"] = temperature
    if max_tokens is not None:
        kwargs["max_tokens"] = max_tokens
    if tools:
        kwargs["tools"] = tools
    return kwargs


def _usage(kwargs: dict[str, Any], model: str, reported: Any, text: str, ttft_ms: int | None, latency_ms: int) -> Usage:
    """Build ``Usage`` from the provider's usage block, counting locally when it is missing."""
    name: str = kwargs["model"]
    prompt = int(getattr(reported, "prompt_tokens", 0) or 0)
    output = int(getattr(reported, "completion_tokens", 0) or 0)
    details = getattr(reported, "prompt_tokens_details", None)
    cached = int(getattr(details, "cached_tokens", 0) or 0)
    notes: list[str] = []
    if reported is None or prompt + output == 0:
        prompt = litellm.token_counter(model=name, messages=kwargs["messages"])
        output = litellm.token_counter(model=name, text=text, count_response_tokens=True) if text else 0
        notes.append("tokens counted locally (the provider reported no usage)")
    cost, cost_note = estimate_cost(name, prompt, output, cached)
    if cost_note:
        notes.insert(0, cost_note)
    return Usage(prompt, output, cost, "; ".join(notes) or None, ttft_ms, latency_ms, model, cached)


async def _guard(provider_id: str, kwargs: dict[str, Any], host: str) -> dict[str, Any]:
    """``kwargs`` plus the guarded ``client`` for a custom base URL (or its addresses checked first)."""
    base = kwargs.get("api_base")
    if base and endpoints.needs_precheck(provider_id, base, embedding=False):
        await endpoints.precheck(base, host)
    client = endpoints.chat_client(provider_id, kwargs["api_key"], base)
    return {**kwargs, "client": client} if client is not None else kwargs


def _host(provider_id: str, base_url: str | None) -> str:
    return host_of(base_url, host_of(get_provider(provider_id).default_base_url, provider_id))


def _ms(since: float) -> int:
    return int((time.perf_counter() - since) * 1000)


def stream_assembled(response: Any) -> bool:
    """True once LiteLLM's stream wrapper has read the provider's stream to its end and returned
    the closing usage chunk (``CustomStreamWrapper.sent_last_chunk`` and ``sent_stream_usage``,
    LiteLLM 1.x). What it would do next is only its own success logging: a second assembly of the
    whole reply (``stream_chunk_builder``), a cost calculation and callback tasks, ~1-2 ms of CPU
    per call that competed with the gateway's settlement on the event loop. The gateway records
    usage itself (``calls.finish``) and registers no LiteLLM callbacks, so it stops there."""
    return getattr(response, "sent_last_chunk", False) is True and getattr(response, "sent_stream_usage", False) is True


async def stream_completion(
    *,
    provider_id: str,
    model: str,
    api_key: str | None,
    base_url: str | None,
    messages: list[dict[str, Any]],
    temperature: float | None,
    max_tokens: int | None,
    timeout_s: float = 60.0,
    tools: list[dict[str, Any]] | None = None,
) -> AsyncGenerator[CompletionEvent, None]:
    """Stream a chat completion: ``TextDelta`` events, then exactly one ``Usage``.

    Args:
        provider_id: A key of ``providers.PROVIDERS``.
        model: The provider's model id, e.g. ``"gpt-4o-mini"``.
        api_key: The decrypted key (kept in memory only), or None where the provider needs none.
        base_url: API root overriding the provider default, e.g. ``"http://localhost:11434/v1"``.
        messages: OpenAI-style ``[{"role": "system"|"user"|"assistant", "content": str}]``.
        temperature: Sampling temperature, None for the provider default.
        max_tokens: Cap on output tokens, None for the provider default.
        timeout_s: Seconds to wait for the connection and for each read (first token included).
        tools: OpenAI function specs (``registry.openai_tool_specs``) the model may call.

    Yields:
        ``TextDelta`` for each non-empty piece of text, one ``ToolCalls`` if the model called
        tools (streamed fragments joined), then ``Usage`` (tokens, USD, ms).

    Raises:
        GatewayError: kind ``auth``, ``rate_limit``, ``timeout``, ``unreachable``,
            ``bad_request`` or ``provider``; the message is safe to show and to log.
        ValueError: If ``provider_id`` is unknown.
    """
    kwargs = _call_kwargs(provider_id, model, api_key, base_url, messages, temperature, max_tokens, timeout_s, tools)
    host = _host(provider_id, base_url)
    started = time.perf_counter()
    ttft_ms: int | None = None
    acc = ToolCallAccumulator()
    parts: list[str] = []
    reported: Any = None
    response: Any = None
    try:
        call = await _guard(provider_id, kwargs, host)
        response = await litellm.acompletion(stream=True, stream_options={"include_usage": True}, **call)
        async for chunk in response:
            usage = getattr(chunk, "usage", None)
            if usage is not None and (getattr(usage, "total_tokens", None) or 0) > 0:
                reported = usage
            for choice in getattr(chunk, "choices", None) or []:
                delta = getattr(choice, "delta", None)
                if acc.add(getattr(delta, "tool_calls", None)) and ttft_ms is None:
                    ttft_ms = _ms(started)
                    yield ToolCallProgress()
                text = getattr(delta, "content", None)
                if text:
                    if ttft_ms is None:
                        ttft_ms = _ms(started)
                    parts.append(text)
                    yield TextDelta(text)
            if stream_assembled(response):
                break
    except Exception as exc:
        raise to_gateway_error(exc, host=host, timeout_s=timeout_s, secret=api_key) from None
    finally:  # also when the consumer stops early: release the provider connection now
        if response is not None and hasattr(response, "aclose"):
            await response.aclose()
    calls = acc.calls()
    if calls:
        yield ToolCalls(calls)
    yield _usage(kwargs, model, reported, "".join(parts) + tool_text(calls), ttft_ms, _ms(started))


async def complete(
    *,
    provider_id: str,
    model: str,
    api_key: str | None,
    base_url: str | None,
    messages: list[dict[str, Any]],
    temperature: float | None = None,
    max_tokens: int | None = None,
    timeout_s: float = 60.0,
    tools: list[dict[str, Any]] | None = None,
) -> CompletionResult:
    """Non-streamed chat completion with the same cost and error rules as ``stream_completion``.

    Args:
        provider_id, model, api_key, base_url, messages, temperature, max_tokens: As for
            ``stream_completion`` (temperature and max_tokens default to the provider's).
        timeout_s: Seconds to wait for the connection and for the response.
        tools: OpenAI function specs the model may call.

    Returns:
        ``CompletionResult(text, usage, tool_calls)``; ``usage.ttft_ms`` is None.

    Raises:
        GatewayError: As for ``stream_completion``.
        ValueError: If ``provider_id`` is unknown.
    """
    kwargs = _call_kwargs(provider_id, model, api_key, base_url, messages, temperature, max_tokens, timeout_s, tools)
    host = _host(provider_id, base_url)
    started = time.perf_counter()
    try:
        response = await litellm.acompletion(**await _guard(provider_id, kwargs, host))
    except Exception as exc:
        raise to_gateway_error(exc, host=host, timeout_s=timeout_s, secret=api_key) from None
    choices = getattr(response, "choices", None) or []
    message = getattr(choices[0], "message", None) if choices else None
    text = (getattr(message, "content", None) or "") if message is not None else ""
    calls = message_tool_calls(message)
    usage = _usage(kwargs, model, getattr(response, "usage", None), text + tool_text(calls), None, _ms(started))
    return CompletionResult(text, usage, calls)
