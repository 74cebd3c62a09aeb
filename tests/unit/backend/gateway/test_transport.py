"""The model clients' aiohttp transport keeps the outbound policy: refused addresses, no proxies, reuse."""

from __future__ import annotations

import time

import httpx
import openai
import pytest

from backend.gateway.transport import GuardedAiohttpTransport
from backend.security.outbound import LOOPBACK_RULES, BlockedAddress
from tests.support.echo_server import EchoServer
from tests.support.llm_server import LLMTestServer


def _port(server: LLMTestServer) -> int:
    return int(server.base_url.split(":")[2].split("/")[0])


async def test_a_name_resolving_to_loopback_is_refused_when_loopback_is_not_allowed(
    llm_server: LLMTestServer,
) -> None:
    async with httpx.AsyncClient(transport=GuardedAiohttpTransport(())) as client:
        with pytest.raises(BlockedAddress, match="resolves to 127.0.0.1"):
            await client.get(f"http://localhost:{_port(llm_server)}/v1/models")
    assert llm_server.requests == []


@pytest.mark.parametrize("host", ["127.0.0.1:{port}", "[::ffff:127.0.0.1]:{port}", "10.0.0.1", "169.254.169.254"])
async def test_private_addresses_written_as_ip_are_refused_before_any_connection(
    llm_server: LLMTestServer, host: str
) -> None:
    url = f"http://{host.format(port=_port(llm_server))}/v1/models"
    started = time.perf_counter()
    async with httpx.AsyncClient(transport=GuardedAiohttpTransport(())) as client:
        with pytest.raises(BlockedAddress):
            await client.get(url)
    assert time.perf_counter() - started < 1.0  # refused, not a connect attempt that timed out
    assert llm_server.requests == []


async def test_an_allowed_local_server_streams_and_reuses_one_connection(llm_server: LLMTestServer) -> None:
    async with httpx.AsyncClient(transport=GuardedAiohttpTransport(LOOPBACK_RULES)) as http:
        sdk = openai.AsyncOpenAI(api_key=llm_server.api_key, base_url=llm_server.base_url, http_client=http)
        for _ in range(3):
            stream = await sdk.chat.completions.create(
                model="test-model", messages=[{"role": "user", "content": "Say hi"}], stream=True
            )
            text = "".join([c.choices[0].delta.content or "" async for c in stream if c.choices])
            assert text == "Hello! I am a test model."
    ports = [r.client_port for r in llm_server.chat_requests]
    assert len(ports) == 3 and None not in ports
    assert len(set(ports)) == 1, "each streamed call opened a new connection"


async def test_environment_proxies_are_never_used(llm_server: LLMTestServer, monkeypatch: pytest.MonkeyPatch) -> None:
    """A proxy would connect on our behalf, to an address nobody checked."""
    with EchoServer() as proxy:
        for name in ("HTTP_PROXY", "http_proxy", "HTTPS_PROXY", "https_proxy", "ALL_PROXY", "all_proxy"):
            monkeypatch.setenv(name, proxy.url("/"))
        monkeypatch.delenv("NO_PROXY", raising=False)
        monkeypatch.delenv("no_proxy", raising=False)
        async with httpx.AsyncClient(transport=GuardedAiohttpTransport(LOOPBACK_RULES)) as client:
            response = await client.get(
                f"{llm_server.base_url}/models", headers={"Authorization": f"Bearer {llm_server.api_key}"}
            )
        assert response.status_code == 200
        assert proxy.requests == []
    assert [r.path for r in llm_server.requests] == ["/v1/models"]
