"""Re-pointing a connection to another address requires its key again (finding 10 of issue 9)."""

from __future__ import annotations

import pytest

from backend.accounts.actor import Actor
from backend.connections.service import (
    ConnectionInputError,
    create_connection,
    resolve_credentials,
    update_connection,
)
from backend.db import session_scope
from backend.gateway.probe import check_connection
from tests.support.llm_server import LLMTestServer

STORED = "sk-stored-key-ABCDEFGHIJKLMNOP0123"
AGAIN = "Enter the API key again: the address changed"


def _create(actor: Actor, base_url: str | None, provider: str = "openai_compatible", key: str | None = STORED) -> str:
    with session_scope() as s:
        return create_connection(
            actor=actor, name="Local", provider=provider, api_key=key, base_url=base_url, session=s
        ).id


def _update(actor: Actor, conn_id: str, base_url: str | None, api_key: str = "") -> None:
    with session_scope() as s:
        update_connection(
            actor=actor, connection_id=conn_id, name="Local", base_url=base_url, api_key=api_key, session=s
        )


async def test_new_host_with_a_blank_key_is_refused_and_the_key_never_travels(actor: Actor) -> None:
    with LLMTestServer(api_key=None) as first, LLMTestServer(api_key=None) as other:
        conn_id = _create(actor, first.base_url)
        with pytest.raises(ConnectionInputError) as info:
            _update(actor, conn_id, other.base_url)
        assert info.value.errors == {"api_key": AGAIN}
        with session_scope() as s:
            assert resolve_credentials(actor=actor, connection_id=conn_id, session=s).base_url == first.base_url
            await check_connection(actor=actor, connection_id=conn_id, session=s)
        assert other.requests == []
        assert all(STORED not in str(r.headers) for r in other.requests)


@pytest.mark.parametrize(
    ("before", "after"),
    [
        ("http://127.0.0.1:8001/v1", "http://127.0.0.1:8002/v1"),  # another port
        ("https://llm.example.com/v1", "http://llm.example.com/v1"),  # same host, plain HTTP
        ("https://llm.example.com/v1", "https://llm.example.org/v1"),  # another host
    ],
)
def test_any_change_of_origin_needs_the_key(actor: Actor, before: str, after: str) -> None:
    conn_id = _create(actor, before)
    with pytest.raises(ConnectionInputError) as info:
        _update(actor, conn_id, after)
    assert info.value.errors["api_key"] == AGAIN


def test_hosted_provider_pointed_at_a_custom_url_needs_the_key(actor: Actor) -> None:
    conn_id = _create(actor, None, provider="openai")
    with pytest.raises(ConnectionInputError) as info:
        _update(actor, conn_id, "https://proxy.example.com/v1")
    assert info.value.errors["api_key"] == AGAIN


def test_same_origin_or_a_new_key_or_no_stored_key_is_fine(actor: Actor) -> None:
    conn_id = _create(actor, "http://127.0.0.1:8001/v1")
    _update(actor, conn_id, "http://127.0.0.1:8001/api/v1")  # new path, same origin: key kept
    _update(actor, conn_id, "http://127.0.0.1:8009/v1", api_key="sk-new-key-000000000000")  # key re-entered
    with session_scope() as s:
        creds = resolve_credentials(actor=actor, connection_id=conn_id, session=s)
    assert creds.api_key == "sk-new-key-000000000000" and creds.base_url == "http://127.0.0.1:8009/v1"
    keyless = _create(actor, "http://127.0.0.1:8001/v1", key=None)
    _update(actor, keyless, "http://127.0.0.1:8002/v1")  # nothing stored, nothing to leak
