"""Streaming and non-streaming completions through LiteLLM's real HTTP path to the local test server."""

from __future__ import annotations

import socket
from typing import Any

import pytest

from backend.gateway import completion
from backend.gateway.completion import GatewayError, TextDelta, Usage
from tests.support.llm_server import LLMTestServer, count_prompt_tokens, split_reply

MESSAGES = [
    {"role": "system", "content": "You are terse."},
    {"role": "user", "content": "Say hello to the test suite"},
]


async def _run(server: LLMTestServer, **overrides: Any) -> list[completion.CompletionEvent]:
    kwargs: dict[str, Any] = {
        "provider_id": "openai_compatible",
        "model": "test-model",
        "api_key": server.api_key,
        "base_url": server.base_url,
        "messages": MESSAGES,
        "temperature": None,
        "max_tokens": None,
        "timeout_s": 5.0,
    }
    kwargs.update(overrides)
    return [event async for event in completion.stream_completion(**kwargs)]


def _closed_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@pytest.mark.asyncio
async def test_stream_yields_text_deltas_then_usage_matching_the_server(llm_server: LLMTestServer) -> None:
    events = await _run(llm_server)
    deltas, usage = events[:-1], events[-1]
    assert len(deltas) >= 3 and all(isinstance(e, TextDelta) for e in deltas)
    assert "".join(e.text for e in deltas if isinstance(e, TextDelta)) == llm_server.reply
    assert isinstance(usage, Usage)
    assert usage.prompt_tokens == count_prompt_tokens(MESSAGES) == 9
    assert usage.completion_tokens == len(split_reply(str(llm_server.reply))) == len(deltas)
    assert usage.model == "test-model"
    assert usage.ttft_ms is not None and 0 <= usage.ttft_ms <= usage.latency_ms
    [call] = llm_server.chat_requests  # exactly one request: no retries
    assert call.json is not None
    assert call.json["stream"] is True and call.json["stream_options"] == {"include_usage": True}
    assert call.json["model"] == "test-model"


@pytest.mark.asyncio
async def test_stream_forwards_temperature_and_max_tokens(llm_server: LLMTestServer) -> None:
    events = await _run(llm_server, temperature=0.2, max_tokens=2)
    usage = events[-1]
    assert isinstance(usage, Usage) and usage.completion_tokens == 2
    body = llm_server.chat_requests[0].json
    assert body is not None and body["temperature"] == 0.2 and body["max_tokens"] == 2


@pytest.mark.asyncio
async def test_unknown_model_costs_zero_with_note(llm_server: LLMTestServer) -> None:
    usage = (await _run(llm_server))[-1]
    assert isinstance(usage, Usage)
    assert usage.cost_usd == 0.0
    assert usage.cost_note == "price unknown for test-model: counted as $0"


@pytest.mark.asyncio
async def test_priced_model_through_the_server_has_a_cost(llm_server: LLMTestServer) -> None:
    usage = (await _run(llm_server, model="gpt-4o-mini"))[-1]
    assert isinstance(usage, Usage)
    assert usage.cost_note is None
    expected = (usage.prompt_tokens * 0.15 + usage.completion_tokens * 0.6) / 1_000_000
    assert usage.cost_usd == pytest.approx(expected)
    assert usage.cost_usd > 0


def test_cost_helpers_use_litellm_price_map() -> None:
    assert completion.price_per_million("openai/gpt-4o-mini") == pytest.approx((0.15, 0.6))
    assert completion.price_per_million("anthropic/claude-haiku-4-5") == pytest.approx((1.0, 5.0))
    assert completion.price_per_million("openai/no-such-model") is None
    cost, note = completion.estimate_cost("openai/gpt-4o-mini", 1_000_000, 1_000_000)
    assert cost == pytest.approx(0.75) and note is None
    cost, note = completion.estimate_cost("openai/no-such-model", 10, 10)
    assert cost == 0.0 and note == "price unknown for no-such-model: counted as $0"


@pytest.mark.asyncio
async def test_missing_usage_is_counted_locally() -> None:
    from backend.gateway.llm import litellm

    with LLMTestServer(send_usage=False) as server:
        events = await _run(server)
        result = await completion.complete(
            provider_id="openai_compatible",
            model="test-model",
            api_key=server.api_key,
            base_url=server.base_url,
            messages=MESSAGES,
        )
    # streamed: LiteLLM's stream wrapper itself fills in counted usage when asked for include_usage
    usage = events[-1]
    assert isinstance(usage, Usage)
    assert usage.prompt_tokens == litellm.token_counter(model="openai/test-model", messages=MESSAGES)
    assert usage.completion_tokens > 0
    # non-streamed: LiteLLM reports nothing, so we count and say so
    assert result.usage.prompt_tokens == usage.prompt_tokens and result.usage.completion_tokens > 0
    assert result.usage.cost_note is not None and "counted locally" in result.usage.cost_note


@pytest.mark.asyncio
@pytest.mark.parametrize(
    ("status", "kind", "words"),
    [
        (500, "provider", "internal error (500)"),
        (503, "provider", "(503)"),
        (429, "rate_limit", "rate-limiting requests (429)"),
        (400, "bad_request", "refused the request (400)"),
    ],
)
async def test_http_errors_map_to_kinds(llm_server: LLMTestServer, status: int, kind: str, words: str) -> None:
    llm_server.fail_next(status)
    with pytest.raises(GatewayError) as info:
        await _run(llm_server)
    assert info.value.kind == kind
    assert info.value.status_code == status
    assert words in info.value.message
    assert len(llm_server.chat_requests) == 1  # num_retries=0 / max_retries=0


@pytest.mark.asyncio
async def test_rate_limit_carries_retry_after(llm_server: LLMTestServer) -> None:
    llm_server.fail_next(429, retry_after_s=3)
    with pytest.raises(GatewayError) as info:
        await _run(llm_server)
    assert info.value.retry_after_s == 3
    assert "Try again in 3 s." in info.value.message


@pytest.mark.asyncio
async def test_wrong_key_is_auth_and_never_echoed(llm_server: LLMTestServer) -> None:
    wrong = "sk-proj-WRONGKEY0123456789abcdefXYZ"
    with pytest.raises(GatewayError) as info:
        await _run(llm_server, api_key=wrong)
    err = info.value
    assert err.kind == "auth" and err.status_code == 401
    assert err.message == "The provider rejected the API key (401 Unauthorized): Incorrect API key provided."
    assert wrong not in str(err) and wrong not in repr(err)


@pytest.mark.asyncio
async def test_unknown_model_is_bad_request(llm_server: LLMTestServer) -> None:
    with pytest.raises(GatewayError) as info:
        await _run(llm_server, model="no-such-model")
    assert info.value.kind == "bad_request" and info.value.status_code == 404
    assert "no-such-model" in info.value.message


@pytest.mark.asyncio
async def test_first_token_delay_beyond_timeout_is_timeout() -> None:
    with LLMTestServer(first_token_delay_ms=2000) as server:
        with pytest.raises(GatewayError) as info:
            await _run(server, timeout_s=0.5)
    assert info.value.kind == "timeout"
    assert info.value.message == "The provider did not answer within 0.5 s."


@pytest.mark.asyncio
async def test_stall_mid_stream_is_timeout() -> None:
    with LLMTestServer(chunk_delay_ms=2000) as server:
        with pytest.raises(GatewayError) as info:
            await _run(server, timeout_s=0.5)
    assert info.value.kind == "timeout"


@pytest.mark.asyncio
async def test_hanging_server_is_timeout(llm_server: LLMTestServer) -> None:
    llm_server.fail_next("hang")
    with pytest.raises(GatewayError) as info:
        await _run(llm_server, timeout_s=0.5)
    assert info.value.kind == "timeout"


@pytest.mark.asyncio
async def test_closed_port_is_unreachable() -> None:
    port = _closed_port()
    with pytest.raises(GatewayError) as info:
        await _run(LLMTestServer(), base_url=f"http://127.0.0.1:{port}/v1", api_key="sk-x")
    assert info.value.kind == "unreachable"
    assert info.value.message == f"Could not reach 127.0.0.1:{port}: the address is not allowed or not answering."


@pytest.mark.asyncio
async def test_hosted_provider_without_key_fails_before_any_call() -> None:
    with pytest.raises(GatewayError) as info:
        await _run(LLMTestServer(), provider_id="anthropic", model="claude-haiku-4-5", api_key=None, base_url=None)
    assert info.value.kind == "auth" and "Anthropic" in info.value.message


@pytest.mark.asyncio
async def test_keyless_endpoint_never_receives_the_servers_env_key(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("OPENAI_API_KEY", "sk-env-SERVERSIDE0123456789abcdef")
    with LLMTestServer(api_key=None) as server:
        await _run(server, api_key=None)
    assert "SERVERSIDE" not in server.chat_requests[0].headers.get("authorization", "")


@pytest.mark.asyncio
async def test_custom_endpoint_model_ids_are_sent_verbatim() -> None:
    with LLMTestServer(models=["openai/gpt-oss-20b"], reply=None) as server:
        events = await _run(server, model="openai/gpt-oss-20b")
    assert server.chat_requests[0].json is not None
    assert server.chat_requests[0].json["model"] == "openai/gpt-oss-20b"
    text = "".join(e.text for e in events if isinstance(e, TextDelta))
    assert text == "You said: Say hello to the test suite"


@pytest.mark.asyncio
async def test_complete_returns_text_and_usage(llm_server: LLMTestServer) -> None:
    result = await completion.complete(
        provider_id="openai_compatible",
        model="gpt-4o-mini",
        api_key=llm_server.api_key,
        base_url=llm_server.base_url,
        messages=MESSAGES,
    )
    assert result.text == llm_server.reply
    assert result.usage.prompt_tokens == 9 and result.usage.completion_tokens == 6
    assert result.usage.cost_usd > 0 and result.usage.ttft_ms is None
    body = llm_server.chat_requests[0].json
    assert body is not None and not body.get("stream")


@pytest.mark.asyncio
async def test_complete_maps_errors_too(llm_server: LLMTestServer) -> None:
    llm_server.fail_next(500)
    with pytest.raises(GatewayError) as info:
        await completion.complete(
            provider_id="openai_compatible",
            model="test-model",
            api_key=llm_server.api_key,
            base_url=llm_server.base_url,
            messages=MESSAGES,
        )
    assert info.value.kind == "provider"


@pytest.mark.asyncio
async def test_consumer_can_stop_early() -> None:
    with LLMTestServer(chunk_delay_ms=200) as server:
        stream = completion.stream_completion(
            provider_id="openai_compatible",
            model="test-model",
            api_key=server.api_key,
            base_url=server.base_url,
            messages=MESSAGES,
            temperature=None,
            max_tokens=None,
        )
        first = await anext(stream)
        await stream.aclose()  # closes the upstream response too; must not raise
    assert isinstance(first, TextDelta) and first.text == "Hello! "


@pytest.mark.asyncio
async def test_stream_stops_at_the_usage_chunk_without_litellms_success_logging(llm_server: LLMTestServer) -> None:
    """The whole reply and its usage arrive, and LiteLLM's own end-of-stream logging (a second
    assembly of the reply, a cost calculation, callbacks: CPU the gateway does not use) never runs."""
    import asyncio

    import litellm
    from litellm.integrations.custom_logger import CustomLogger

    class Seen(CustomLogger):
        def __init__(self) -> None:
            super().__init__()
            self.successes = 0

        async def async_log_success_event(self, kwargs: Any, response_obj: Any, start_time: Any, end_time: Any) -> None:
            self.successes += 1

    seen = Seen()
    litellm.callbacks.append(seen)
    try:
        events = await _run(llm_server)
        await asyncio.sleep(0.2)  # LiteLLM's success callbacks run as tasks after the stream
        baseline = await _bare_stream(llm_server)
        await asyncio.sleep(0.2)
    finally:
        litellm.callbacks.remove(seen)
    assert "".join(e.text for e in events if isinstance(e, TextDelta)) == llm_server.reply
    usage = events[-1]
    assert isinstance(usage, Usage) and usage.completion_tokens == len(split_reply(str(llm_server.reply)))
    assert baseline == llm_server.reply and seen.successes == 1  # only the bare call, read to its end, logged


async def _bare_stream(server: LLMTestServer) -> str:
    """The same call straight through ``litellm.acompletion``, read to its end."""
    import litellm

    response = await litellm.acompletion(
        model="openai/test-model",
        api_base=server.base_url,
        api_key=server.api_key,
        messages=MESSAGES,
        stream=True,
        stream_options={"include_usage": True},
    )
    text = ""
    async for chunk in response:
        for choice in chunk.choices or []:
            text += choice.delta.content or ""
    return text
