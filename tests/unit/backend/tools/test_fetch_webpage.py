"""fetch_webpage: readable text from HTML, the same network guard, size and type limits."""

from __future__ import annotations

import json

import pytest

from backend.security.outbound import parse_allow_rules
from backend.tools.base import RunContext
from tests.support.echo_server import EchoServer

from .conftest import local_context

PAGE = b"""<html><head><title>Opening hours</title><style>p{color:red}</style><script>alert(1)</script></head>
<body><nav>Home | About</nav><h1>Opening hours</h1><p>Monday to Friday, 9&nbsp;to 17.</p>
<p>Closed on <b>public holidays</b>.</p><footer>(c) 2026</footer></body></html>"""


async def test_html_to_text(call_tool) -> None:  # type: ignore[no-untyped-def]
    with EchoServer({"/hours": (200, "text/html; charset=utf-8", PAGE)}) as server:
        result = await call_tool("fetch_webpage", json.dumps({"url": server.url("/hours")}), context=local_context())
    assert result.ok, result.error
    out = result.output
    assert out["title"] == "Opening hours" and "Monday to Friday, 9 to 17." in out["text"]
    assert "Closed on public holidays." in out["text"]
    assert "alert" not in out["text"] and "color:red" not in out["text"] and "Home | About" not in out["text"]
    assert out["truncated"] is False and out["chars"] == len(out["text"])


async def test_text_is_cut_at_max_chars(call_tool) -> None:  # type: ignore[no-untyped-def]
    with EchoServer({"/t.txt": (200, "text/plain", b"word " * 10000)}) as server:
        result = await call_tool(
            "fetch_webpage", json.dumps({"url": server.url("/t.txt"), "max_chars": 300}), context=local_context()
        )
    assert len(result.output["text"]) == 300 and result.output["truncated"] is True and result.output["chars"] > 300


@pytest.mark.parametrize(
    ("route", "message"),
    [
        ((404, "text/html", b"gone"), "answered HTTP 404"),
        ((200, "application/pdf", b"%PDF-1.7"), "only reads text"),
        ((200, "text/html", b"<html>" + b"x" * 2_100_000), "limit"),
        ((200, "text/html", b"<script>only()</script>"), "could not be read"),
    ],
)
async def test_errors(call_tool, route: tuple[int, str, bytes], message: str) -> None:  # type: ignore[no-untyped-def]
    with EchoServer({"/p": route}) as server:
        result = await call_tool("fetch_webpage", json.dumps({"url": server.url("/p")}), context=local_context())
    assert result.status == "error" and message in result.error, result.error


@pytest.mark.parametrize(
    "url",
    [
        "http://169.254.169.254/latest/meta-data/",
        "http://10.1.2.3/",
        "http://[::1]:{port}/",
        "http://localhost:{port}/",
    ],
)
async def test_guarded(call_tool, url: str) -> None:  # type: ignore[no-untyped-def]
    with EchoServer() as server:
        result = await call_tool(
            "fetch_webpage", json.dumps({"url": url.format(port=server.port)}), context=RunContext(net_allow=())
        )
        assert server.requests == []
    assert result.status == "denied" and "not allowed" in result.error


async def test_redirect_to_metadata_is_refused(call_tool) -> None:  # type: ignore[no-untyped-def]
    with EchoServer({"/go": (301, "http://169.254.169.254/latest/meta-data/", b"")}) as server:
        context = RunContext(net_allow=tuple(parse_allow_rules("127.0.0.1/32")))
        result = await call_tool("fetch_webpage", json.dumps({"url": server.url("/go")}), context=context)
    assert result.status == "denied" and "169.254.169.254" in result.error
