"""Fallback models on a blueprint: validated against the workspace's connections, versioned."""

from __future__ import annotations

from collections.abc import Callable

import pytest

from backend.accounts.actor import Actor
from backend.agents.service import BlueprintInvalid, create_agent, get_blueprint, save_agent
from backend.connections.service import create_connection
from backend.db import session_scope
from backend.models import BlueprintFields


def _conn(actor: Actor, name: str = "Local") -> str:
    with session_scope() as s:
        return create_connection(
            actor=actor,
            name=name,
            provider="openai_compatible",
            api_key=None,
            base_url="http://127.0.0.1:9/v1",
            session=s,
        ).id


def test_fallbacks_are_saved_cleaned_and_versioned(actor: Actor) -> None:
    main, backup = _conn(actor), _conn(actor, "Backup")
    fields = BlueprintFields(
        name="A", connection_id=main, model="m", fallbacks=[{"connection_id": backup, "model": " b "}]
    )
    with session_scope() as s:
        agent = create_agent(actor=actor, fields=fields, session=s)
        assert get_blueprint(actor=actor, agent_id=agent, session=s).fallbacks == [
            {"connection_id": backup, "model": "b"}
        ]
        save_agent(
            actor=actor, agent_id=agent, fields=BlueprintFields(name="A", connection_id=main, model="m"), session=s
        )
        assert get_blueprint(actor=actor, agent_id=agent, session=s).fallbacks == []
        assert get_blueprint(actor=actor, agent_id=agent, version=1, session=s).fallbacks[0]["model"] == "b"


def test_fallbacks_must_be_models_on_own_connections(actor: Actor, make_actor: Callable[[], Actor]) -> None:
    main = _conn(actor)
    foreign = _conn(make_actor())
    cases = [
        [{"connection_id": foreign, "model": "x"}],
        [{"connection_id": main, "model": " "}],
        [{"connection_id": main, "model": str(i)} for i in range(4)],
    ]
    for fallbacks in cases:
        fields = BlueprintFields(name="A", connection_id=main, model="m", fallbacks=fallbacks)
        with session_scope() as s, pytest.raises(BlueprintInvalid) as info:
            create_agent(actor=actor, fields=fields, session=s)
        assert set(info.value.errors) == {"fallbacks"}
