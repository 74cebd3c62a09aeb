"""Gateway test helpers: connections to local test servers, agents, fast retry policy."""

from __future__ import annotations

from backend.accounts.actor import Actor
from backend.agents.service import create_agent
from backend.connections.service import create_connection
from backend.db import session_scope
from backend.gateway.candidates import RetryPolicy
from backend.models import BlueprintFields
from tests.support.llm_server import LLMTestServer

FAST = RetryPolicy(max_retries=2, base_delay_s=0.001, max_delay_s=0.01)
"""Retries with ~ms delays so tests stay fast."""

MESSAGES = [{"role": "system", "content": "Be brief."}, {"role": "user", "content": "Say hello to the suite"}]


def add_connection(actor: Actor, server: LLMTestServer, name: str = "Local") -> str:
    """A connection of ``actor``'s workspace to ``server``; returns its id."""
    with session_scope() as s:
        return create_connection(
            actor=actor,
            name=name,
            provider="openai_compatible",
            api_key=server.api_key,
            base_url=server.base_url,
            session=s,
        ).id


def add_agent(
    actor: Actor, connection_id: str, model: str = "gpt-4o-mini", fallbacks: list[dict[str, str]] | None = None
) -> str:
    """An agent on ``connection_id``/``model`` with ``fallbacks``; returns its id."""
    with session_scope() as s:
        fields = BlueprintFields(name="Gw", connection_id=connection_id, model=model, fallbacks=fallbacks or [])
        return create_agent(actor=actor, fields=fields, session=s)
