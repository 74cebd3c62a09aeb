"""The ``agenthub`` command line, called in-process."""

from __future__ import annotations

import pytest

from backend.accounts.actor import Actor
from backend.agents.service import create_agent
from backend.cli import main
from backend.connections.service import create_connection
from backend.db import session_scope
from backend.memory.knowledge import add_text, list_sources
from backend.models import BlueprintFields


def test_migrate_is_idempotent(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["migrate"]) == 0
    assert main(["migrate"]) == 0
    assert "up to date" in capsys.readouterr().out


def test_create_user_reports_bad_input(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["create-user", "not-an-email", "whatever-long"]) == 2
    assert "valid email" in capsys.readouterr().err


def test_worker_once_indexes_queued_knowledge(actor: Actor) -> None:
    with session_scope() as s:
        conn = create_connection(
            actor=actor,
            name="L",
            provider="openai_compatible",
            api_key=None,
            base_url="http://127.0.0.1:9/v1",
            session=s,
        )
        agent_id = create_agent(
            actor=actor, fields=BlueprintFields(name="K", connection_id=conn.id, model="m"), session=s
        )
        add_text(actor=actor, agent_id=agent_id, title="Facts", text="The lighthouse keeper is Ada.", session=s)
    assert main(["worker", "--once"]) == 0
    with session_scope() as s:
        (source,) = list_sources(actor=actor, agent_id=agent_id, session=s)
    assert source.status == "indexed"
