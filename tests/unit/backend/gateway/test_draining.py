"""Streamed replies give their connection back: the next call to the endpoint reuses it."""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Any

from backend.accounts.actor import Actor
from backend.gateway.candidates import Target
from backend.gateway.router import TextDelta, stream_chat
from tests.support.gateway import add_connection
from tests.support.llm_server import LLMTestServer

Kwargs = Callable[..., dict[str, Any]]


async def _reply(kwargs: dict[str, Any]) -> str:
    return "".join([e.text async for e in stream_chat(**kwargs) if isinstance(e, TextDelta)])


async def test_streamed_calls_to_an_endpoint_reuse_one_connection(
    actor: Actor, llm_server: LLMTestServer, chat_kwargs: Kwargs
) -> None:
    cid = add_connection(actor, llm_server)
    for _ in range(3):
        assert await _reply(chat_kwargs(actor, [Target(cid, "gpt-4o-mini")]))
    ports = [r.client_port for r in llm_server.chat_requests]
    assert len(ports) == 3 and None not in ports
    assert len(set(ports)) == 1, "each streamed reply opened a new connection (the SDK closed it at [DONE])"


async def test_a_reply_stopped_mid_stream_does_not_wait_for_the_rest(
    actor: Actor, llm_server: LLMTestServer, chat_kwargs: Kwargs
) -> None:
    llm_server.chunk_delay_ms = 300  # the rest of the reply would take seconds
    cid = add_connection(actor, llm_server)
    events = stream_chat(**chat_kwargs(actor, [Target(cid, "gpt-4o-mini")]))
    assert isinstance(await events.__anext__(), TextDelta)
    started = time.perf_counter()
    await events.aclose()
    assert time.perf_counter() - started < 1.0
