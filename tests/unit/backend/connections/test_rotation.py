"""Master-key rotation re-wraps every vault-encrypted column, so the old key can be retired."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from backend.accounts.actor import Actor
from backend.cli import main
from backend.connections.service import create_connection, resolve_credentials
from backend.db import session_scope
from backend.models import Connection, CustomTool
from backend.models.tools import CustomToolCreate
from backend.security.keys import get_vault
from backend.security.vault import KeyRing, record_ad
from backend.tools.custom import create_custom_tool
from tests.support.keyrings import dev_ring_text, restored_ring, use_ring

CONN_KEY = "sk-rotate-me-0123456789abcdefgh"
TOOL_KEY = "tool-secret-9f8e7d6c5b4a"


def _tool_form() -> CustomToolCreate:
    return CustomToolCreate(
        name="rotating_tool",
        description="A tool whose auth header value must survive key rotation.",
        method="GET",
        url_template="https://api.example.com/items",
        auth_header="X-API-Key",
        auth_secret=TOOL_KEY,
    )


def test_rotate_then_retire_the_old_key_every_secret_still_decrypts(actor: Actor) -> None:
    k1, k2 = KeyRing.generate_key_string("k1"), KeyRing.generate_key_string("k2")
    dev = dev_ring_text()
    with restored_ring(f"{k1},{k2}"):
        use_ring(f"{k1},{dev}")  # secrets of this test are made under k1
        with session_scope() as s:
            conn_id = create_connection(
                actor=actor, name="Rotating", provider="openai", api_key=CONN_KEY, base_url=None, session=s
            ).id
            tool_id = create_custom_tool(actor=actor, data=_tool_form(), session=s).id
        use_ring(f"{k2},{k1},{dev}")  # k2 first: the operator rotates
        assert main(["rotate-master-key"]) == 0
        use_ring(k2)  # k1 (and the development key) retired
        with session_scope() as s:
            conn, tool = s.get(Connection, conn_id), s.get(CustomTool, tool_id)
            assert conn is not None and tool is not None and tool.secret is not None
            assert conn.secret is not None and conn.secret.split(".")[1] == "k2"
            assert tool.secret.split(".")[1] == "k2"
            assert resolve_credentials(actor=actor, connection_id=conn_id, session=s).api_key == CONN_KEY
            assert get_vault().decrypt(tool.secret, associated_data=record_ad(tool.workspace_id, tool.id)) == TOOL_KEY


def test_rotation_is_idempotent(actor: Actor) -> None:
    from backend.connections.rotation import rotate_all_secrets

    k2 = KeyRing.generate_key_string("k2")
    with restored_ring(k2):
        with session_scope() as s:
            create_connection(actor=actor, name="Again", provider="openai", api_key=CONN_KEY, base_url=None, session=s)
        use_ring(f"{k2},{dev_ring_text()}")
        with session_scope() as s:
            assert rotate_all_secrets(vault=get_vault(), session=s) >= 1
        with session_scope() as s:
            assert rotate_all_secrets(vault=get_vault(), session=s) == 0


@pytest.fixture(autouse=True)
def _back_to_dev_ring() -> Iterator[None]:
    use_ring(None)
    yield
    use_ring(None)  # later tests of the session use the development key file again
