"""Marketplace test helpers: a publisher's agent published as a listing through the services."""

from __future__ import annotations

from typing import Any

from backend.accounts.actor import Actor
from backend.agents.service import create_agent
from backend.connections.service import create_connection
from backend.db import session_scope
from backend.models import BlueprintFields
from marketplace.listings import publish_listing, save_listing
from marketplace.schemas import ListingInput, PublisherListing


def publisher_connection(actor: Actor, base_url: str = "http://127.0.0.1:9/v1", api_key: str | None = None) -> str:
    """A connection of the publisher's workspace (never called unless a test runs the agent)."""
    with session_scope() as s:
        return create_connection(
            actor=actor,
            name="Publisher key",
            provider="openai_compatible",
            api_key=api_key,
            base_url=base_url,
            session=s,
        ).id


def listing(
    actor: Actor,
    connection_id: str,
    *,
    instructions: str = "Be brief.",
    tools: tuple[str, ...] = (),
    publish: bool = True,
    paying_connection_id: str = "",
    **fields: Any,
) -> PublisherListing:
    """A new agent of ``actor``'s workspace (on ``connection_id``) and its listing (published
    unless ``publish=False``; ``paying_connection_id`` pays subscribers' runs, empty: the agent's
    own); ``fields`` override :class:`ListingInput` (title defaults to "Helper <n>")."""
    blueprint = BlueprintFields(
        name=str(fields.get("title", "Helper"))[:80],
        connection_id=connection_id,
        model="test-model",
        instructions=instructions,
        tools=list(tools),
    )
    defaults = {"title": "Helper agent", "description": "A helpful agent.", "connection_id": paying_connection_id}
    data = ListingInput(**{**defaults, **fields})
    with session_scope() as s:
        agent_id = create_agent(actor=actor, fields=blueprint, session=s)
        row = save_listing(actor=actor, agent_id=agent_id, data=data, session=s)
        if publish:
            row = publish_listing(actor=actor, listing_id=row.id, session=s)
    return row
