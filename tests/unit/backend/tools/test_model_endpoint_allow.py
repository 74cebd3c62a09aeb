"""Allowing a local model server (AGENTHUB_MODEL_ENDPOINT_ALLOW) never opens tools to that range."""

from __future__ import annotations

import json
from collections.abc import Callable

from backend.tools.base import RunContext
from tests.support.echo_server import EchoServer


async def test_model_endpoint_allow_list_keeps_fetch_tools_out(app_env: Callable[..., None], call_tool) -> None:  # type: ignore[no-untyped-def]
    app_env(AGENTHUB_ENV="development", AGENTHUB_MODEL_ENDPOINT_ALLOW="127.0.0.1/32", AGENTHUB_FETCH_ALLOW="")
    context = RunContext(allowed_domains=("127.0.0.1",))  # operator rules come from the settings
    with EchoServer() as server:
        page = await call_tool("fetch_webpage", json.dumps({"url": server.url("/x")}), context=context)
        request = await call_tool("http_request", json.dumps({"url": server.url("/y")}), context=context)
        assert page.status == "denied" and request.status == "denied", (page.error, request.error)
        assert server.requests == []
