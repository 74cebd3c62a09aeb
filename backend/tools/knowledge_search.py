"""Built-in tool ``knowledge_search(query, k)``: search the running agent's knowledge base.

A plain async function plus its JSON-schema description (OpenAI function-calling format,
https://platform.openai.com/docs/guides/function-calling) for the tools registry. The tenant
comes from :class:`ToolContext`, never from the model's arguments.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from backend.accounts.actor import Actor
from backend.memory.retrieval import knowledge_search_for

MAX_K = 10

KNOWLEDGE_SEARCH_SCHEMA: dict[str, Any] = {
    "type": "function",
    "function": {
        "name": "knowledge_search",
        "description": (
            "Search this agent's knowledge base (the documents its builder uploaded) and return the most "
            "relevant passages with their source ids. Cite passages by source id."
        ),
        "parameters": {
            "type": "object",
            "properties": {
                "query": {"type": "string", "description": "What to look for, in the user's words.", "minLength": 1},
                "k": {
                    "type": "integer",
                    "description": "How many passages (1-10).",
                    "minimum": 1,
                    "maximum": MAX_K,
                    "default": 5,
                },
            },
            "required": ["query"],
            "additionalProperties": False,
        },
    },
}


@dataclass(frozen=True)
class ToolContext:
    """Who runs the tool: the acting user and the agent being run."""

    actor: Actor
    agent_id: str


async def knowledge_search(query: str, k: int = 5, *, context: ToolContext) -> dict[str, Any]:
    """Search the agent's knowledge.

    Args:
        query: Search words (BM25, plus vectors when the workspace has an embedding model).
        k: Passages to return, clamped to 1-10.
        context: The run's actor and agent (tenant scope).

    Returns:
        ``{"passages": [{"source_id", "title", "location", "text", "score"}]}``, best first.

    Raises:
        NotFound, PermissionDenied: the agent is not the actor's workspace's.
    """
    k = max(1, min(int(k), MAX_K))
    passages = await knowledge_search_for(actor=context.actor, agent_id=context.agent_id, query=query, k=k)
    return {
        "passages": [
            {
                "source_id": p.source_id,
                "title": p.title,
                "location": p.location,
                "text": p.text,
                "score": round(p.score, 6),
            }
            for p in passages
        ]
    }
