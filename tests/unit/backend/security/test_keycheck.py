"""Start-up key check: a ring that cannot decrypt stored secrets stops the app and the worker."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from backend.accounts.actor import Actor
from backend.cli import main
from backend.connections.service import create_connection
from backend.db import session_scope
from backend.models.tools import CustomToolCreate
from backend.security.keycheck import KeyRingMismatch, check_stored_secrets
from backend.security.keys import get_vault
from backend.security.vault import KeyRing
from backend.tools.custom import create_custom_tool
from tests.support.keyrings import dev_ring_text, restored_ring, use_ring


@pytest.fixture(autouse=True)
def _back_to_dev_ring() -> Iterator[None]:
    use_ring(None)
    yield
    use_ring(None)  # later tests of the session use the development key file again


def _secrets(actor: Actor) -> None:
    with session_scope() as s:
        create_connection(
            actor=actor, name="K", provider="openai", api_key="sk-check-0123456789ab", base_url=None, session=s
        )
        create_custom_tool(
            actor=actor,
            data=CustomToolCreate(
                name="checked_tool",
                description="A tool with an encrypted auth value.",
                url_template="https://api.example.com/x",
                auth_header="X-Key",
                auth_secret="tool-secret-abcdef123",
            ),
            session=s,
        )


def test_the_current_ring_passes(actor: Actor) -> None:
    _secrets(actor)
    assert check_stored_secrets(get_vault()) >= 2


def test_a_ring_without_the_key_of_stored_secrets_is_refused_naming_the_key_id(actor: Actor) -> None:
    _secrets(actor)
    dev_id = dev_ring_text().split(":", 1)[0]
    use_ring(KeyRing.generate_key_string("fresh"))
    with pytest.raises(KeyRingMismatch) as caught:
        check_stored_secrets(get_vault())
    message = str(caught.value)
    assert "AGENTHUB_MASTER_KEYS" in message and repr(dev_id) in message and "connections.secret" in message


def test_a_wrong_key_under_the_right_id_is_refused(actor: Actor) -> None:
    _secrets(actor)
    dev_id = dev_ring_text().split(":", 1)[0]
    use_ring(KeyRing.generate_key_string(dev_id))  # same id, other key bytes
    with pytest.raises(KeyRingMismatch, match="does not decrypt"):
        check_stored_secrets(get_vault())


def test_custom_tool_secrets_are_checked_too(actor: Actor) -> None:
    k9 = KeyRing.generate_key_string("k9")
    with restored_ring(k9):
        use_ring(f"{k9},{dev_ring_text()}")
        with session_scope() as s:
            create_custom_tool(
                actor=actor,
                data=CustomToolCreate(
                    name="newest_tool",
                    description="Made under k9 only.",
                    url_template="https://api.example.com/y",
                    auth_header="X-Key",
                    auth_secret="tool-secret-k9-000111",
                ),
                session=s,
            )
        use_ring(dev_ring_text())  # k9 missing
        with pytest.raises(KeyRingMismatch, match="custom_tools.secret"):
            check_stored_secrets(get_vault())


def test_the_worker_refuses_to_start_with_a_ring_that_cannot_decrypt(
    actor: Actor, capsys: pytest.CaptureFixture[str]
) -> None:
    _secrets(actor)
    use_ring(KeyRing.generate_key_string("other"))
    assert main(["worker", "--once"]) == 2
    err = capsys.readouterr().err
    assert "AGENTHUB_MASTER_KEYS" in err and "sk-check" not in err
