"""The gateway's cached SDK clients: each connection's calls carry that connection's key."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any

import pytest

from backend.accounts.actor import Actor
from backend.connections.service import create_connection, update_connection
from backend.db import session_scope
from backend.gateway.candidates import Target
from backend.gateway.router import TextDelta, stream_chat
from tests.support.llm_server import LLMTestServer

Kwargs = Callable[..., dict[str, Any]]
KEY_A = "sk-tenant-a-0123456789abcdef"
KEY_B = "sk-tenant-b-fedcba9876543210"


@pytest.fixture
def open_server() -> Iterator[LLMTestServer]:
    """A local endpoint that accepts any key (so a wrong one would be recorded, not refused)."""
    with LLMTestServer(api_key=None) as server:
        yield server


def _connection(actor: Actor, server: LLMTestServer, key: str, name: str) -> str:
    with session_scope() as s:
        return create_connection(
            actor=actor, name=name, provider="openai_compatible", api_key=key, base_url=server.base_url, session=s
        ).id


async def _reply(kwargs: dict[str, Any]) -> str:
    return "".join([e.text async for e in stream_chat(**kwargs) if isinstance(e, TextDelta)])


async def test_two_connections_to_one_endpoint_each_send_their_own_key(
    make_actor: Callable[[], Actor], open_server: LLMTestServer, chat_kwargs: Kwargs
) -> None:
    tenant_a, tenant_b = make_actor(), make_actor()
    conn_a = _connection(tenant_a, open_server, KEY_A, "A")
    conn_b = _connection(tenant_b, open_server, KEY_B, "B")
    for actor, conn in [(tenant_a, conn_a), (tenant_b, conn_b), (tenant_a, conn_a), (tenant_b, conn_b)]:
        assert await _reply(chat_kwargs(actor, [Target(conn, "gpt-4o-mini")]))
    sent = [r.headers.get("authorization") for r in open_server.chat_requests]
    assert sent == [f"Bearer {KEY_A}", f"Bearer {KEY_B}", f"Bearer {KEY_A}", f"Bearer {KEY_B}"]
    ports = {r.client_port for r in open_server.chat_requests}
    assert len(ports) == 1, "calls no longer share the guarded client's connection pool"


async def test_a_rotated_key_is_sent_from_the_next_call_on(
    actor: Actor, open_server: LLMTestServer, chat_kwargs: Kwargs
) -> None:
    conn = _connection(actor, open_server, KEY_A, "Rotating")
    assert await _reply(chat_kwargs(actor, [Target(conn, "gpt-4o-mini")]))
    with session_scope() as s:
        update_connection(
            actor=actor, connection_id=conn, name="Rotating", base_url=open_server.base_url, api_key=KEY_B, session=s
        )
    assert await _reply(chat_kwargs(actor, [Target(conn, "gpt-4o-mini")]))
    sent = [r.headers.get("authorization") for r in open_server.chat_requests]
    assert sent == [f"Bearer {KEY_A}", f"Bearer {KEY_B}"]
