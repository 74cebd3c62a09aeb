"""Connection manager: encrypted keys, masking, keep-existing edits, tests, isolation."""

from __future__ import annotations

import pytest
from sqlmodel import select

from backend.accounts.actor import Actor, NotFound
from backend.connections.service import (
    ConnectionInputError,
    create_connection,
    delete_connection,
    list_connections,
    resolve_credentials,
    update_connection,
)
from backend.db import session_scope
from backend.gateway.probe import check_connection
from backend.models import Connection
from backend.security.vault import VaultError

KEY = "sk-test-abcdefghijklmnopqrstuvwxyz0123456789a1b2"


def _create(actor: Actor, **kw: object) -> str:
    args: dict[str, object] = {"name": "OpenAI main", "provider": "openai", "api_key": KEY, "base_url": None}
    args.update(kw)
    with session_scope() as s:
        return create_connection(actor=actor, session=s, **args).id  # type: ignore[arg-type]


def test_key_is_encrypted_at_rest_and_only_masked_outside(actor: Actor) -> None:
    conn_id = _create(actor)
    with session_scope() as s:
        row = s.get(Connection, conn_id)
        assert row is not None and row.secret is not None
        assert KEY not in row.secret and row.secret.startswith("v1.")
        (public,) = list_connections(actor=actor, session=s)
        assert public.key_hint.endswith("a1b2") and "…" in public.key_hint
        assert KEY not in public.model_dump_json()
        assert resolve_credentials(actor=actor, connection_id=conn_id, session=s).api_key == KEY
        assert KEY not in repr(resolve_credentials(actor=actor, connection_id=conn_id, session=s))


def test_ciphertext_copied_to_another_row_does_not_decrypt(actor: Actor) -> None:
    first, second = _create(actor), _create(actor, name="Other", api_key="sk-other-0000000000000000000000")
    with session_scope() as s:
        a, b = s.get(Connection, first), s.get(Connection, second)
        assert a is not None and b is not None
        b.secret = a.secret
        s.add(b)
    with session_scope() as s, pytest.raises(VaultError):
        resolve_credentials(actor=actor, connection_id=second, session=s)


def test_edit_keeps_the_stored_key_unless_a_new_one_is_typed(actor: Actor) -> None:
    conn_id = _create(actor)
    with session_scope() as s:
        update_connection(actor=actor, connection_id=conn_id, name="Renamed", base_url=None, api_key="", session=s)
    with session_scope() as s:
        assert resolve_credentials(actor=actor, connection_id=conn_id, session=s).api_key == KEY
        updated = update_connection(
            actor=actor,
            connection_id=conn_id,
            name="Renamed",
            base_url=None,
            api_key="sk-new-key-99999999zzzz",
            session=s,
        )
    assert updated.name == "Renamed" and updated.key_hint.endswith("zzzz")


@pytest.mark.parametrize(
    ("kw", "field"),
    [
        ({"name": ""}, "name"),
        ({"api_key": ""}, "api_key"),
        ({"provider": "nope"}, "provider"),
        ({"provider": "openai_compatible", "api_key": None, "base_url": ""}, "base_url"),
        ({"provider": "openai_compatible", "api_key": None, "base_url": "ftp://x"}, "base_url"),
        ({"api_key": "has a space"}, "api_key"),
    ],
)
def test_invalid_input_gives_field_errors_and_stores_nothing(actor: Actor, kw: dict[str, object], field: str) -> None:
    with pytest.raises(ConnectionInputError) as err:
        _create(actor, **kw)
    assert field in err.value.errors
    with session_scope() as s:
        assert s.exec(select(Connection).where(Connection.workspace_id == actor.workspace_id)).all() == []


def test_other_workspaces_cannot_read_use_or_delete(make_actor) -> None:  # type: ignore[no-untyped-def]
    alice, bob = make_actor(), make_actor()
    conn_id = _create(alice)
    with session_scope() as s:
        assert list_connections(actor=bob, session=s) == []
        for call in (resolve_credentials, delete_connection):
            with pytest.raises(NotFound):
                call(actor=bob, connection_id=conn_id, session=s)
    with session_scope() as s:
        delete_connection(actor=alice, connection_id=conn_id, session=s)
        assert list_connections(actor=alice, session=s) == []


async def test_check_stores_ok_status_and_models(actor: Actor, llm_server) -> None:  # type: ignore[no-untyped-def]
    conn_id = _create(actor, provider="openai_compatible", api_key=llm_server.api_key, base_url=llm_server.base_url)
    with session_scope() as s:
        result = await check_connection(actor=actor, connection_id=conn_id, session=s)
    assert result.status == "ok" and set(llm_server.models) <= set(result.models)
    assert result.last_checked_at is not None


async def test_check_with_bad_key_stores_the_providers_error(actor: Actor, llm_server) -> None:  # type: ignore[no-untyped-def]
    bad = "sk-wrong-key-1234567890abcdef"
    conn_id = _create(actor, provider="openai_compatible", api_key=bad, base_url=llm_server.base_url)
    with session_scope() as s:
        result = await check_connection(actor=actor, connection_id=conn_id, session=s)
    assert result.status == "error" and "401" in result.status_message
    assert bad not in result.status_message
