"""Hybrid retrieval: BM25 full text plus vectors, fused by reciprocal rank, and run context.

BM25 (LanceDB native FTS) always runs; vector search runs when the workspace has an active
embedding model. The two rankings are merged with reciprocal-rank fusion (Cormack, Clarke and
Buettcher, SIGIR 2009: score = sum 1 / (60 + rank)), which needs no score calibration between
BM25 and cosine. Retrieved knowledge passages and memories enter the model context with
numbered labels (``[1]``, ``[2]``) that map to their source ids for citations.
"""

from __future__ import annotations

import asyncio
import logging
import re
from collections.abc import Sequence
from dataclasses import dataclass, replace
from typing import Any

from sqlmodel import Session, col, select

from backend.accounts.actor import Actor
from backend.blueprints import require_agent
from backend.db import session_scope
from backend.gateway.llm import GatewayError
from backend.memory.conversation import memory_enabled
from backend.memory.embedder import Embedder, embedder_for
from backend.memory.store import Hit, Kind, Scope, Store, get_store
from backend.models import KnowledgeSource

log = logging.getLogger(__name__)
RRF_K = 60
MAX_QUERY_CHARS = 2000
SNIPPET_CHARS = 300


def rrf(rankings: Sequence[Sequence[Hit]], *, k: int = RRF_K, limit: int | None = None) -> list[Hit]:
    """Reciprocal-rank fusion of several rankings of hits (best first).

    Args:
        rankings: Each a list of hits, best first; a hit may appear in several (matched by id).
        k: The RRF constant (60 in the original paper).
        limit: Keep this many (all by default).

    Returns:
        Hits ordered by fused score (``score`` replaced by the fused score), ties by first seen.
    """
    fused: dict[str, float] = {}
    first: dict[str, Hit] = {}
    for ranking in rankings:
        for rank, hit in enumerate(ranking, start=1):
            fused[hit.id] = fused.get(hit.id, 0.0) + 1.0 / (k + rank)
            first.setdefault(hit.id, hit)
    order = sorted(fused, key=lambda i: -fused[i])
    return [replace(first[i], score=fused[i]) for i in order[:limit]]


async def search(
    kind: Kind,
    scope: Scope,
    query: str,
    k: int,
    *,
    embedder: Embedder | None,
    vector: Sequence[float] | None = None,
    store: Store | None = None,
) -> list[Hit]:
    """Top-``k`` rows of one scope: BM25, plus vectors when an embedder or vector is given, fused.

    Args:
        kind: ``knowledge`` or ``memory``.
        scope: A complete scope (workspace, agent, end user).
        query: The user's words (cut to 2,000 characters).
        k: How many results (1-50).
        embedder: The workspace's active embedder, or None for keyword mode.
        vector: A precomputed query vector (skips the embedding call).
        store: The store to search (default: the configured one).

    Returns:
        Hits, best first. An embedding failure falls back to BM25 only (logged).
    """
    query = query.strip()[:MAX_QUERY_CHARS]
    k = max(1, min(k, 50))
    store = store or get_store()
    fetch = k * 2
    text_task = asyncio.ensure_future(store.asearch_text(kind, scope, query, fetch))
    if embedder is None:
        return (await text_task)[:k]
    if vector is None:
        try:
            vector = (await embedder.embed([query]))[0]
        except GatewayError as exc:
            log.warning("query embedding failed, keyword search only: %s", exc.message)
            return (await text_task)[:k]
    text_hits, vector_hits = await asyncio.gather(
        text_task, store.asearch_vector(kind, scope, embedder.key, vector, fetch)
    )
    return rrf([text_hits, vector_hits], limit=k)


@dataclass(frozen=True)
class Passage:
    """A retrieved passage for the model and the citations.

    Attributes:
        label: ``"1"``, ``"2"``, ... as shown to the model (``[1]``).
        kind: ``knowledge`` or ``memory``.
        source_id: Knowledge source id, or the conversation id a memory came from.
        chunk_id: The row id in LanceDB.
        title: Source title (file name, page title) or conversation title.
        location: E.g. ``"p. 3"``; may be empty.
        text: The passage.
        score: Fused relevance score (higher is better).
    """

    label: str
    kind: str
    source_id: str
    chunk_id: str
    title: str
    location: str
    text: str
    score: float

    @property
    def snippet(self) -> str:
        """The first ~300 characters, on one line."""
        flat = " ".join(self.text.split())
        return flat if len(flat) <= SNIPPET_CHARS else flat[: SNIPPET_CHARS - 1].rstrip() + "…"


def _passages(hits: Sequence[Hit], kind: str, start: int) -> list[Passage]:
    return [
        Passage(str(start + i), kind, h.source_id, h.id, h.title, h.location, h.text, h.score)
        for i, h in enumerate(hits)
    ]


@dataclass(frozen=True)
class SearchPlan:
    """What a run searches: the end user's memories (``with_memory``) and knowledge, with the
    query ``embedder`` (None: keyword search only)."""

    with_memory: bool
    embedder: Any


def search_plan(workspace_id: str, agent_id: str, session: Session) -> SearchPlan | None:
    """The run's :class:`SearchPlan`, or None when there is nothing to search (no memory switch,
    no chunked or indexed knowledge): two indexed reads in the caller's transaction."""
    with_memory = memory_enabled(workspace_id, agent_id, session)
    has_knowledge = (
        session.exec(
            select(KnowledgeSource.id).where(
                KnowledgeSource.workspace_id == workspace_id,
                KnowledgeSource.agent_id == agent_id,
                col(KnowledgeSource.status).in_(("chunked", "indexed")),
            )
        ).first()
        is not None
    )
    if not has_knowledge and not with_memory:
        return None
    return SearchPlan(with_memory, embedder_for(workspace_id, which="active", session=session))


async def retrieve_for_run(  # noqa: PLR0913  (the run's scope, its query and the two result sizes)
    *,
    workspace_id: str,
    agent_id: str,
    end_user_id: str,
    query: str,
    k_knowledge: int = 5,
    k_memories: int = 3,
    plan: SearchPlan | None,
) -> list[Passage]:
    """Knowledge passages and (if the memory switch is on) the end user's memories for a run.

    The caller (the runtime) has already checked that the actor may use the agent. One query
    embedding serves both searches.

    Args:
        plan: The run's :func:`search_plan`, read in the caller's transaction (None: nothing to
            search).

    Returns:
        Knowledge passages then memories, labelled ``1..n``; empty when nothing matches.
    """
    if plan is None:
        return []  # nothing to search: no query embedding, no LanceDB round trip
    with_memory, embedder = plan.with_memory, plan.embedder
    vector = None
    if embedder is not None:
        try:
            vector = (await embedder.embed([query.strip()[:MAX_QUERY_CHARS]]))[0]
        except GatewayError as exc:
            log.warning("query embedding failed, keyword search only: %s", exc.message)
            embedder = None
    tasks = [
        search(
            "knowledge", Scope.knowledge(workspace_id, agent_id), query, k_knowledge, embedder=embedder, vector=vector
        )
    ]
    if with_memory and k_memories > 0:
        scope = Scope.memories(workspace_id, agent_id, end_user_id)
        tasks.append(search("memory", scope, query, k_memories, embedder=embedder, vector=vector))
    results = await asyncio.gather(*tasks)
    passages = _passages(results[0], "knowledge", 1)
    if len(results) > 1:
        passages += _passages(results[1], "memory", len(passages) + 1)
    return passages


def format_context(passages: Sequence[Passage]) -> str:
    """The system-message text that puts passages in front of the model with their labels."""
    if not passages:
        return ""
    lines = [
        "Use the numbered sources below when they help. Cite a source by its number in square brackets, "
        "e.g. [1]. Sources marked 'memory' are notes from earlier conversations with this user."
    ]
    for p in passages:
        where = f", {p.location}" if p.location else ""
        kind = "memory" if p.kind == "memory" else "document"
        lines.append(f"\n[{p.label}] ({kind}: {p.title or 'untitled'}{where})\n{p.text}")
    return "\n".join(lines)


_CITE = re.compile(r"\[(\d{1,3})\]")


def cited_passages(answer: str, passages: Sequence[Passage]) -> list[Passage]:
    """The passages an answer cites by ``[n]``; if it cites none, the knowledge passages used.

    Returns:
        Passages in the order first cited (or retrieval order), one per source location; the
        ``label`` of each lists every label of that location that was chosen (``"1, 2"``), so
        the sources under the answer carry the numbers the answer uses.
    """
    by_label = {p.label: p for p in passages}
    cited = [by_label[m] for m in dict.fromkeys(_CITE.findall(answer)) if m in by_label]
    chosen = cited or [p for p in passages if p.kind == "knowledge"]
    merged: dict[tuple[str, str], tuple[Passage, list[str]]] = {}
    for p in chosen:
        merged.setdefault((p.source_id, p.location), (p, []))[1].append(p.label)
    return [replace(p, label=", ".join(labels)) for p, labels in merged.values()]


async def knowledge_search_for(*, actor: Actor, agent_id: str, query: str, k: int = 5) -> list[Passage]:
    """Search an agent's knowledge as ``actor`` (permission-checked). Raises NotFound, PermissionDenied."""
    with session_scope() as session:
        require_agent(actor, agent_id, session)
        embedder = embedder_for(actor.workspace_id, which="active", session=session)
    hits = await search("knowledge", Scope.knowledge(actor.workspace_id, agent_id), query, k, embedder=embedder)
    return _passages(hits, "knowledge", 1)
