"""Fixtures for the memory tests: agents in fresh workspaces and the fixture documents."""

from __future__ import annotations

from collections.abc import Callable

import pytest


@pytest.fixture
def make_agent() -> Callable[..., str]:
    """Factory: create an agent for an actor (its connection points at ``base_url``)."""
    from backend.agents.service import create_agent
    from backend.connections.service import create_connection
    from backend.db import session_scope
    from backend.models import BlueprintFields

    def make(actor: object, base_url: str = "http://127.0.0.1:9/v1", api_key: str | None = None) -> str:
        with session_scope() as s:
            conn = create_connection(
                actor=actor, name="Local", provider="openai_compatible", api_key=api_key, base_url=base_url, session=s
            )
            fields = BlueprintFields(name="Helper", connection_id=conn.id, model="test-model", instructions="Be brief.")
            return create_agent(actor=actor, fields=fields, session=s)

    return make
