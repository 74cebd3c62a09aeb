"""http_request against local servers: the agent's domain list, the network guard (SSRF), caps.

The guard blocks loopback, so tests that need the local server enable the operator allow-range
(127.0.0.1/32, or one port) explicitly in their RunContext; nothing patches the resolver.
"""

from __future__ import annotations

import dataclasses
import json
import time

import pytest

from backend.security.outbound import parse_allow_rules
from backend.tools.base import RunContext
from backend.tools.registry import ToolRegistry, builtin_registry
from tests.support.echo_server import EchoServer

from .conftest import local_context

NO_OPERATOR_RULES = ()


def _args(**kwargs: object) -> str:
    return json.dumps(kwargs)


async def test_get_with_query_and_headers(call_tool) -> None:  # type: ignore[no-untyped-def]
    with EchoServer() as server:
        result = await call_tool(
            "http_request",
            _args(url=server.url("/v1/items?sort=asc"), query={"page": "2"}, headers={"X-Trace": "t-1"}),
            context=local_context(),
        )
    assert result.ok, result.error
    echo = result.output["json"]
    assert result.output["status"] == 200 and echo["method"] == "GET"
    assert echo["path"] == "/v1/items?sort=asc&page=2" and echo["headers"]["X-Trace"] == "t-1"
    assert result.summary.startswith("HTTP 200 from http://127.0.0.1:")


async def test_post_json_and_text(call_tool) -> None:  # type: ignore[no-untyped-def]
    with EchoServer() as server:
        as_json = await call_tool(
            "http_request", _args(url=server.url("/hook"), method="POST", json={"a": 1}), context=local_context()
        )
        as_text = await call_tool(
            "http_request", _args(url=server.url("/hook"), method="POST", body="plain words"), context=local_context()
        )
    assert json.loads(as_json.output["json"]["body"]) == {"a": 1}
    assert as_json.output["json"]["headers"]["Content-Type"] == "application/json"
    assert as_text.output["json"]["body"] == "plain words"


async def test_status_codes_binary_and_size_caps(call_tool) -> None:  # type: ignore[no-untyped-def]
    routes = {
        "/missing": (404, "text/plain", b"no such thing"),
        "/logo.png": (200, "image/png", b"\x89PNG" + b"\x00" * 100),
        "/big": (200, "text/plain", b"y" * 3_000_000),
    }
    with EchoServer(routes) as server:
        missing = await call_tool("http_request", _args(url=server.url("/missing")), context=local_context())
        image = await call_tool("http_request", _args(url=server.url("/logo.png")), context=local_context())
        big = await call_tool("http_request", _args(url=server.url("/big"), max_chars=500), context=local_context())
    assert missing.ok and missing.output["status"] == 404 and missing.output["text"] == "no such thing"
    assert "Binary content (image/png" in image.output["body_note"]
    assert big.ok and len(big.output["text"]) == 500 and big.output["truncated"] is True


async def test_time_cap(call_tool) -> None:  # type: ignore[no-untyped-def]
    quick = dataclasses.replace(builtin_registry().get("http_request"), timeout_s=0.5)  # type: ignore[type-var]
    with EchoServer(slow_s=3) as server:
        started = time.monotonic()
        result = await call_tool(
            "http_request", _args(url=server.url("/slow")), context=local_context(), registry=ToolRegistry([quick])
        )
    assert result.status == "timeout" and time.monotonic() - started < 2


@pytest.mark.parametrize("domains", [(), ("example.com",), ("*.127.0.0.1",)])
async def test_hosts_off_the_domain_list_are_refused_before_connecting(call_tool, domains) -> None:  # type: ignore[no-untyped-def]
    with EchoServer() as server:
        result = await call_tool("http_request", _args(url=server.url("/")), context=local_context(domains=domains))
        assert server.requests == []
    assert result.status == "denied" and "not on this agent's list of allowed domains" in result.error


async def test_loopback_is_blocked_without_the_operator_range(call_tool) -> None:  # type: ignore[no-untyped-def]
    with EchoServer() as server:
        context = RunContext(allowed_domains=("127.0.0.1",), net_allow=NO_OPERATOR_RULES)
        result = await call_tool("http_request", _args(url=server.url("/")), context=context)
        assert server.requests == []
    assert result.status == "denied" and "127.0.0.1 is not allowed" in result.error


@pytest.mark.parametrize(
    "url",
    [
        "http://127.0.0.1:{port}/",
        "http://[::1]:{port}/",
        "http://10.0.0.1/",
        "http://10.255.0.9:8080/admin",
        "http://172.16.0.1/",
        "http://172.31.255.254/",
        "http://192.168.1.1/",
        "http://169.254.169.254/latest/meta-data/iam/security-credentials/",
        "http://100.64.0.1/",
        "http://[::ffff:169.254.169.254]/",
        "http://localhost:{port}/",
    ],
)
async def test_ssrf_targets_are_refused(call_tool, url: str) -> None:  # type: ignore[no-untyped-def]
    with EchoServer() as server:
        target = url.format(port=server.port)
        host = target.split("//", 1)[1].split("/", 1)[0].rsplit(":", 1)[0] if "[" not in target else "::ffff:a9fe:a9fe"
        domains = (host.strip("[]"), "::1", "::ffff:169.254.169.254", "localhost")
        context = RunContext(allowed_domains=domains, net_allow=NO_OPERATOR_RULES)
        result = await call_tool("http_request", _args(url=target), context=context)
        assert server.requests == []
    assert result.status == "denied", result
    assert "not allowed" in result.error


@pytest.mark.parametrize(
    "target",
    [
        "http://10.0.0.1/",
        "http://192.168.0.1/router",
        "http://169.254.169.254/latest/meta-data/",
        "http://127.0.0.1:{inner}/secret",
        "http://[::1]:{inner}/secret",
        "http://localhost:{inner}/secret",
    ],
)
async def test_redirect_from_an_allowed_server_to_a_blocked_address(call_tool, target: str) -> None:  # type: ignore[no-untyped-def]
    with EchoServer({"/secret": (200, "text/plain", b"internal")}) as inner:
        with EchoServer({"/go": (302, target.format(inner=inner.port), b"")}) as outer:
            # The operator allows exactly the outer server; every host is on the agent's list, so
            # only the network guard stands between the redirect and the target.
            context = RunContext(
                allowed_domains=("127.0.0.1", "10.0.0.1", "192.168.0.1", "169.254.169.254", "::1", "localhost"),
                net_allow=tuple(parse_allow_rules(f"127.0.0.1:{outer.port}")),
            )
            result = await call_tool("http_request", _args(url=outer.url("/go")), context=context)
            assert [r["path"] for r in outer.requests] == ["/go"] and inner.requests == []
    assert result.status == "denied" and "not allowed" in result.error


async def test_redirect_to_a_domain_off_the_list(call_tool) -> None:  # type: ignore[no-untyped-def]
    with EchoServer({"/go": (302, "http://example.org/x", b"")}) as server:
        result = await call_tool("http_request", _args(url=server.url("/go")), context=local_context())
    assert result.status == "denied" and "example.org is not on this agent's list" in result.error


@pytest.mark.parametrize(
    ("arguments", "message"),
    [
        ({"url": "ftp://127.0.0.1/file"}, "must start with http"),
        ({"url": "http://127.0.0.1/", "json": {"a": 1}}, "GET request has no body"),
        ({"url": "http://127.0.0.1/", "method": "POST", "json": {}, "body": "x"}, "either 'json' or 'body'"),
        ({"url": "http://127.0.0.1/", "method": "DELETE"}, "is not one of ['GET', 'POST']"),
    ],
)
async def test_bad_requests(call_tool, arguments: dict[str, object], message: str) -> None:  # type: ignore[no-untyped-def]
    result = await call_tool("http_request", json.dumps(arguments), context=local_context())
    assert result.status == "error" and message in result.error, result.error
