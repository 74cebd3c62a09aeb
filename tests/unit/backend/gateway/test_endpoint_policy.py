"""Connection base URLs pass the model-endpoint outbound policy: Test connection, chat, embeddings.

Refused addresses get the same message as a closed port, and the key never reaches them
(the local test server records every request). Development allows loopback model endpoints;
production allows private ones only when ``AGENTHUB_MODEL_ENDPOINT_ALLOW`` lists them.
"""

from __future__ import annotations

import socket
from collections.abc import Callable

import pytest

from backend.gateway.completion import complete, stream_completion
from backend.gateway.embeddings import embed_texts
from backend.gateway.llm import GatewayError
from backend.gateway.probe import test_connection as probe
from tests.support.llm_server import LLMTestServer

MESSAGES = [{"role": "user", "content": "Say hi"}]


def _closed_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _refused(host: str) -> str:
    return f"Could not reach {host}: the address is not allowed or not answering."


def _targets(port: int) -> list[tuple[str, str]]:
    """(base URL, host as shown) pointing at the recording server or at private ranges."""
    return [
        (f"http://127.0.0.1:{port}/v1", f"127.0.0.1:{port}"),
        (f"http://localhost:{port}/v1", f"localhost:{port}"),
        (f"http://[::ffff:127.0.0.1]:{port}/v1", f"[::ffff:127.0.0.1]:{port}"),
        ("http://10.0.0.1/v1", "10.0.0.1"),
        ("http://192.168.1.1:8080/v1", "192.168.1.1:8080"),
        ("http://169.254.169.254/latest", "169.254.169.254"),
    ]


async def _chat(base_url: str, api_key: str | None, *, stream: bool, provider_id: str = "openai_compatible") -> str:
    args = {
        "provider_id": provider_id,
        "model": "test-model",
        "api_key": api_key,
        "base_url": base_url,
        "messages": MESSAGES,
        "max_tokens": 16,
        "timeout_s": 2.0,
    }
    if not stream:
        return (await complete(**args)).text  # type: ignore[arg-type]
    parts = []
    async for event in stream_completion(temperature=None, **args):  # type: ignore[arg-type]
        parts.append(getattr(event, "text", ""))
    return "".join(parts)


async def _embed(base_url: str, api_key: str | None, provider_id: str = "openai_compatible") -> int:
    result = await embed_texts(
        provider_id=provider_id, model="test-embed", api_key=api_key, base_url=base_url, texts=["x"], timeout_s=2.0
    )
    return result.dimension


async def test_production_refuses_private_model_endpoints_and_never_sends_the_key(
    app_env: Callable[..., None], llm_server: LLMTestServer
) -> None:
    app_env(AGENTHUB_ENV="production")
    port = int(llm_server.base_url.split(":")[2].split("/")[0])
    for base_url, host in _targets(port):
        result = await probe(
            provider_id="openai_compatible", api_key=llm_server.api_key, base_url=base_url, timeout_s=2
        )
        assert not result.ok and result.message == _refused(host), (base_url, result.message)
        for stream in (False, True):
            with pytest.raises(GatewayError) as chat:
                await _chat(base_url, llm_server.api_key, stream=stream)
            assert chat.value.kind == "unreachable" and chat.value.message == _refused(host), base_url
        with pytest.raises(GatewayError) as emb:
            await _embed(base_url, llm_server.api_key)
        assert emb.value.kind == "unreachable" and emb.value.message == _refused(host), base_url
    assert llm_server.requests == []


@pytest.mark.parametrize("provider_id", ["anthropic", "gemini", "mistral", "deepseek", "groq", "openrouter"])
async def test_hosted_providers_with_a_private_base_url_are_refused_too(
    app_env: Callable[..., None], llm_server: LLMTestServer, provider_id: str
) -> None:
    app_env(AGENTHUB_ENV="production")
    port = int(llm_server.base_url.split(":")[2].split("/")[0])
    base_url = f"http://localhost:{port}/v1"
    for stream in (False, True):
        with pytest.raises(GatewayError) as chat:
            await _chat(base_url, "sk-stored-key-0000000000", stream=stream, provider_id=provider_id)
        assert chat.value.message == _refused(f"localhost:{port}")
    if provider_id in ("gemini", "mistral"):
        with pytest.raises(GatewayError) as emb:
            await _embed(base_url, "sk-stored-key-0000000000", provider_id=provider_id)
        assert emb.value.message == _refused(f"localhost:{port}")
    result = await probe(provider_id=provider_id, api_key="sk-stored-key-0000000000", base_url=base_url, timeout_s=2)
    assert not result.ok and result.message == _refused(f"localhost:{port}")
    assert llm_server.requests == []


async def test_development_allows_loopback_but_not_other_private_ranges(
    app_env: Callable[..., None], llm_server: LLMTestServer
) -> None:
    app_env(AGENTHUB_ENV="development")
    result = await probe(provider_id="openai_compatible", api_key=llm_server.api_key, base_url=llm_server.base_url)
    assert result.ok, result.message
    assert await _chat(llm_server.base_url, llm_server.api_key, stream=True)
    assert await _chat(llm_server.base_url, llm_server.api_key, stream=False)
    assert await _embed(llm_server.base_url, llm_server.api_key) == 64
    seen = len(llm_server.requests)
    port = int(llm_server.base_url.split(":")[2].split("/")[0])
    for base_url, host in _targets(port)[2:]:  # mapped IPv6, 10/8, 192.168/16, link-local
        with pytest.raises(GatewayError) as chat:
            await _chat(base_url, llm_server.api_key, stream=True)
        assert chat.value.message == _refused(host)
    assert len(llm_server.requests) == seen


async def test_production_allow_list_opens_the_listed_model_server(
    app_env: Callable[..., None], llm_server: LLMTestServer
) -> None:
    app_env(AGENTHUB_ENV="production", AGENTHUB_MODEL_ENDPOINT_ALLOW="127.0.0.1/32")
    result = await probe(provider_id="openai_compatible", api_key=llm_server.api_key, base_url=llm_server.base_url)
    assert result.ok, result.message
    assert await _chat(llm_server.base_url, llm_server.api_key, stream=True) == "Hello! I am a test model."
    assert await _embed(llm_server.base_url, llm_server.api_key) == 64
    assert llm_server.requests[0].headers["authorization"] == f"Bearer {llm_server.api_key}"


async def test_refused_and_closed_addresses_answer_alike(
    app_env: Callable[..., None], llm_server: LLMTestServer
) -> None:
    """No port-scan oracle: an open port refused by policy reads like a closed, allowed one."""
    open_port, closed_port = int(llm_server.base_url.split(":")[2].split("/")[0]), _closed_port()
    app_env(AGENTHUB_ENV="production")
    refused = await probe(
        provider_id="openai_compatible", api_key=None, base_url=f"http://127.0.0.1:{open_port}/v1", timeout_s=2
    )
    with pytest.raises(GatewayError) as refused_chat:
        await _chat(f"http://127.0.0.1:{open_port}/v1", None, stream=True)
    app_env(AGENTHUB_ENV="production", AGENTHUB_MODEL_ENDPOINT_ALLOW="127.0.0.1/32")
    closed = await probe(
        provider_id="openai_compatible", api_key=None, base_url=f"http://127.0.0.1:{closed_port}/v1", timeout_s=2
    )
    with pytest.raises(GatewayError) as closed_chat:
        await _chat(f"http://127.0.0.1:{closed_port}/v1", None, stream=True)
    assert refused.message.replace(str(open_port), "P") == closed.message.replace(str(closed_port), "P")
    assert refused_chat.value.message.replace(str(open_port), "P") == closed_chat.value.message.replace(
        str(closed_port), "P"
    )
    assert refused_chat.value.kind == closed_chat.value.kind == "unreachable"
    assert llm_server.requests == []


async def test_a_foreign_error_body_is_never_echoed(llm_server: LLMTestServer) -> None:
    """A non-JSON (or JSON without an error message) answer is summarised by its status only."""
    from tests.support.echo_server import EchoServer

    page = b"<html>internal admin: db password hunter2</html>"
    routes = {
        "/v1/models": (500, "text/html", page),
        "/v1/chat/completions": (500, "text/html", page),
        "/v1/embeddings": (400, "application/json", b'{"rows": ["secret row"]}'),
    }
    with EchoServer(routes) as server:
        base_url = server.url("/v1")
        result = await probe(provider_id="openai_compatible", api_key=None, base_url=base_url, timeout_s=2)
        with pytest.raises(GatewayError) as chat:
            await _chat(base_url, None, stream=True)
        with pytest.raises(GatewayError) as emb:
            await _embed(base_url, None)
    for message in (result.message, chat.value.message, emb.value.message):
        assert "hunter2" not in message and "secret row" not in message and "<html>" not in message, message
    assert "500" in chat.value.message and "400" in emb.value.message
