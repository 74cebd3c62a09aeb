"""Connection probe against the local OpenAI-compatible test server."""

from __future__ import annotations

import socket

import pytest

from backend.gateway import probe
from tests.support.llm_server import LLMTestServer


def _closed_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@pytest.mark.asyncio
async def test_probe_ok_lists_the_servers_models(llm_server: LLMTestServer) -> None:
    result = await probe.test_connection(
        provider_id="openai_compatible", api_key=llm_server.api_key, base_url=llm_server.base_url
    )
    assert result.ok, result.message
    assert result.models == sorted(llm_server.models)
    assert "2 models" in result.message
    assert result.latency_ms >= 0
    listing = llm_server.requests[-1]
    assert listing.path == "/v1/models"
    assert listing.headers["authorization"] == f"Bearer {llm_server.api_key}"
    assert llm_server.chat_requests == []  # listing was enough, no paid call


@pytest.mark.asyncio
async def test_probe_wrong_key_is_rejected_without_echoing_the_key(llm_server: LLMTestServer) -> None:
    wrong = "sk-wrong-ABCDEFGHIJKLMNOPQRSTUVWXYZ123456"
    result = await probe.test_connection(provider_id="openai_compatible", api_key=wrong, base_url=llm_server.base_url)
    assert not result.ok
    assert "401" in result.message and "rejected the API key" in result.message
    assert "Incorrect API key provided" in result.message
    assert wrong not in result.message and "ABCDEFGHIJ" not in result.message
    assert result.models == []


@pytest.mark.asyncio
async def test_probe_closed_port_is_unreachable() -> None:
    port = _closed_port()
    result = await probe.test_connection(
        provider_id="openai_compatible", api_key=None, base_url=f"http://127.0.0.1:{port}/v1", timeout_s=3
    )
    assert not result.ok
    assert result.message == f"Could not reach 127.0.0.1:{port}: the address is not allowed or not answering."


@pytest.mark.asyncio
async def test_probe_timeout_message(llm_server: LLMTestServer) -> None:
    llm_server.fail_next("hang")
    result = await probe.test_connection(
        provider_id="openai_compatible",
        api_key=llm_server.api_key,
        base_url=llm_server.base_url,
        timeout_s=0.5,
    )
    assert not result.ok
    assert result.message == "The provider did not answer within 0.5 s."


@pytest.mark.asyncio
async def test_probe_falls_back_to_one_token_completion_when_listing_is_unsupported(
    llm_server: LLMTestServer,
) -> None:
    llm_server.fail_next(404)  # e.g. an endpoint without /models
    result = await probe.test_connection(
        provider_id="openai_compatible",
        api_key=llm_server.api_key,
        base_url=llm_server.base_url,
        model="test-model",
    )
    assert result.ok, result.message
    assert result.models == ["test-model"]
    [call] = llm_server.chat_requests
    assert call.json is not None and call.json["max_tokens"] == 1 and call.json["model"] == "test-model"


@pytest.mark.asyncio
async def test_probe_without_models_or_listing_explains_base_url(llm_server: LLMTestServer) -> None:
    llm_server.fail_next(404)
    result = await probe.test_connection(
        provider_id="openai_compatible", api_key=llm_server.api_key, base_url=llm_server.base_url
    )
    assert not result.ok
    assert "lists no models" in result.message and "/v1" in result.message


@pytest.mark.asyncio
async def test_probe_empty_listing_falls_back_and_maps_completion_errors() -> None:
    with LLMTestServer(models=[]) as server:
        result = await probe.test_connection(
            provider_id="openai_compatible", api_key=server.api_key, base_url=server.base_url, model="ghost"
        )
    assert not result.ok
    assert "404" in result.message and "ghost" in result.message


@pytest.mark.asyncio
async def test_probe_rate_limited_listing(llm_server: LLMTestServer) -> None:
    llm_server.fail_next(429, retry_after_s=7)
    result = await probe.test_connection(
        provider_id="openai_compatible", api_key=llm_server.api_key, base_url=llm_server.base_url
    )
    assert not result.ok
    assert "rate-limiting" in result.message and "7 s" in result.message


@pytest.mark.asyncio
async def test_probe_validates_inputs_without_network() -> None:
    no_base = await probe.test_connection(provider_id="openai_compatible", api_key=None, base_url=None)
    assert not no_base.ok and "base URL" in no_base.message
    no_key = await probe.test_connection(provider_id="anthropic", api_key=None, base_url=None)
    assert not no_key.ok and "Anthropic API key" in no_key.message
    with pytest.raises(ValueError):
        await probe.test_connection(provider_id="nope", api_key=None, base_url=None)


@pytest.mark.asyncio
async def test_probe_key_optional_endpoint() -> None:
    with LLMTestServer(api_key=None, models=["llama3.1:8b"]) as server:
        result = await probe.test_connection(provider_id="openai_compatible", api_key=None, base_url=server.base_url)
    assert result.ok and result.models == ["llama3.1:8b"]
    assert "authorization" not in server.requests[-1].headers


@pytest.mark.asyncio
async def test_probe_hosted_provider_with_custom_base_uses_openai_listing(llm_server: LLMTestServer) -> None:
    # e.g. a DeepSeek-compatible gateway: OpenAI-style providers list via GET {base}/models
    result = await probe.test_connection(
        provider_id="deepseek", api_key=llm_server.api_key, base_url=llm_server.base_url
    )
    assert result.ok and "DeepSeek" in result.message
