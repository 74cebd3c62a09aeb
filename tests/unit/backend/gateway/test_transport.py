"""The model clients' aiohttp transport keeps the outbound policy: refused addresses, no proxies, reuse."""

from __future__ import annotations

import datetime
import ipaddress
import ssl
import time
from pathlib import Path

import httpx
import openai
import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID

from backend.gateway.draining import DrainOnClose
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
    transport = DrainOnClose(GuardedAiohttpTransport(LOOPBACK_RULES))  # as the gateway builds it
    async with httpx.AsyncClient(transport=transport) as http:
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


def _self_signed(tmp_path: Path) -> ssl.SSLContext:
    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "127.0.0.1")])
    now = datetime.datetime.now(datetime.UTC)
    cert = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - datetime.timedelta(days=1))
        .not_valid_after(now + datetime.timedelta(days=1))
        .add_extension(x509.SubjectAlternativeName([x509.IPAddress(ipaddress.ip_address("127.0.0.1"))]), False)
        .sign(key, hashes.SHA256())
    )
    (tmp_path / "cert.pem").write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    (tmp_path / "key.pem").write_bytes(
        key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption())
    )
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    context.load_cert_chain(tmp_path / "cert.pem", tmp_path / "key.pem")
    return context


async def test_a_certificate_nobody_trusts_is_refused(tmp_path: Path) -> None:
    """TLS is verified: a server with a self-signed certificate never receives the request."""
    server = EchoServer()
    server._httpd.socket = _self_signed(tmp_path).wrap_socket(server._httpd.socket, server_side=True)
    with server:
        async with httpx.AsyncClient(transport=GuardedAiohttpTransport(LOOPBACK_RULES)) as client:
            with pytest.raises(httpx.HTTPError, match="(?i)certificate"):
                await client.get(f"https://127.0.0.1:{server.port}/v1/models")
        assert server.requests == []
