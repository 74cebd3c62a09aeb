"""Master-key rotation keeps every connection usable and moves it to the new key."""

from __future__ import annotations

from sqlmodel import select

from backend.accounts.actor import Actor
from backend.connections.rotation import rotate_connection_secrets
from backend.connections.service import create_connection
from backend.db import session_scope
from backend.models import Connection
from backend.security.keys import get_vault
from backend.security.vault import KeyRing, Vault


def test_rotation_rewraps_old_secrets_and_they_still_decrypt(actor: Actor) -> None:
    key = "sk-rotate-me-0123456789abcdefgh"
    with session_scope() as s:
        conn_id = create_connection(
            actor=actor, name="Rotating", provider="openai", api_key=key, base_url=None, session=s
        ).id
    get_vault()  # makes sure the development key file exists
    new_entry = KeyRing.generate_key_string("k2")
    ring = KeyRing.from_env_string(new_entry + "," + _dev_ring_text())
    vault = Vault(ring)
    with session_scope() as s:
        assert rotate_connection_secrets(vault=vault, session=s) >= 1
    with session_scope() as s:
        row = s.exec(select(Connection).where(Connection.id == conn_id)).one()
        assert row.secret is not None and row.secret.split(".")[1] == "k2"
        assert vault.decrypt(row.secret, associated_data=f"{row.workspace_id}:{row.id}") == key
        assert rotate_connection_secrets(vault=vault, session=s) == 0  # idempotent


def _dev_ring_text() -> str:
    """The development key ring file's content (the current ring, as AGENTHUB_MASTER_KEYS text)."""
    from backend.config import get_settings

    return (get_settings().data_dir / "master.keys").read_text().strip()
