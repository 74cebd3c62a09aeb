"""Long-term conversation memory: remember exchanges, forget, export, delete, stats and pruning.

When an agent's memory switch is on, each finished exchange (the user's message and the
answer) is stored as one memory row for (workspace, agent, end user) and can be retrieved in
that user's later conversations with that agent. Memories are never shared between end users:
every operation is scoped by :class:`~backend.memory.store.Scope` and the tenant filter.
Short-term memory is the token-budgeted window of recent turns (``runtime.context``).
"""

from __future__ import annotations

import asyncio
import logging
from datetime import datetime, timedelta
from typing import Any

from lancedb.expr import col as lcol
from lancedb.expr import lit
from sqlmodel import Session, select

from backend.accounts.actor import Actor, NotFound
from backend.blueprints import edit_agent, require_agent
from backend.chat.service import get_conversation
from backend.db import session_scope
from backend.gateway.llm import GatewayError
from backend.memory.access import require_admin
from backend.memory.embedder import embedder_for
from backend.memory.store import Row, Scope, get_store
from backend.models import AgentMemorySettings, Membership
from backend.models.common import utcnow
from backend.models.memory import MemorySettingsPublic, MemoryStats

log = logging.getLogger(__name__)
MAX_MEMORY_CHARS = 4000
MAX_AGE_DAYS_LIMIT = 3650
MAX_ROWS_LIMIT = 1_000_000


class MemorySettingsError(ValueError):
    """Invalid pruning rules; the message says which."""


def _settings_row(agent_id: str, workspace_id: str, session: Session) -> AgentMemorySettings:
    row = session.get(AgentMemorySettings, agent_id)
    return row if row is not None else AgentMemorySettings(agent_id=agent_id, workspace_id=workspace_id)


def get_memory_settings(*, actor: Actor, agent_id: str, session: Session) -> MemorySettingsPublic:
    """The agent's memory switch and pruning rules (off, no limits by default)."""
    require_agent(actor, agent_id, session)
    row = _settings_row(agent_id, actor.workspace_id, session)
    return MemorySettingsPublic(enabled=row.enabled, max_age_days=row.max_age_days, max_rows=row.max_rows)


def update_memory_settings(
    *, actor: Actor, agent_id: str, enabled: bool, max_age_days: int | None, max_rows: int | None, session: Session
) -> MemorySettingsPublic:
    """Turn long-term memory on or off and set pruning rules (applied by the background worker).

    Args:
        max_age_days: Delete memories older than this (1-3650 days), or None to keep them.
        max_rows: Keep at most this many memories per end user (1-1,000,000), or None.

    Raises:
        MemorySettingsError, NotFound, PermissionDenied.
    """
    edit_agent(actor, agent_id, session)
    if max_age_days is not None and not 1 <= max_age_days <= MAX_AGE_DAYS_LIMIT:
        raise MemorySettingsError(f"Keep memories between 1 and {MAX_AGE_DAYS_LIMIT} days.")
    if max_rows is not None and not 1 <= max_rows <= MAX_ROWS_LIMIT:
        raise MemorySettingsError(f"Keep between 1 and {MAX_ROWS_LIMIT:,} memories per user.")
    row = _settings_row(agent_id, actor.workspace_id, session)
    row.enabled, row.max_age_days, row.max_rows, row.updated_at = enabled, max_age_days, max_rows, utcnow()
    session.add(row)
    session.flush()
    return MemorySettingsPublic(enabled=row.enabled, max_age_days=row.max_age_days, max_rows=row.max_rows)


def memory_enabled(workspace_id: str, agent_id: str, session: Session) -> bool:
    """True when the agent's memory switch is on (no permission check: for the runtime)."""
    row = session.get(AgentMemorySettings, agent_id)
    return row is not None and row.workspace_id == workspace_id and row.enabled


def exchange_text(user_text: str, answer: str) -> str:
    """The stored form of one exchange, cut to 4,000 characters."""
    return f"User: {user_text.strip()}\nAssistant: {answer.strip()}"[:MAX_MEMORY_CHARS]


def _memory_embedder(workspace_id: str, agent_id: str) -> tuple[bool, Any]:
    """``(memory switch on, embedder for new memories or None)`` (blocking: runs in a thread)."""
    with session_scope() as session:
        if not memory_enabled(workspace_id, agent_id, session):
            return False, None
        return True, embedder_for(workspace_id, which="target", session=session)


async def remember_exchange(
    *,
    workspace_id: str,
    agent_id: str,
    end_user_id: str,
    conversation_id: str,
    run_id: str,
    user_text: str,
    answer: str,
    title: str = "",
) -> str | None:
    """Store a finished exchange as a memory if the agent's memory switch is on.

    Called by the runtime after a successful run (the caller has already checked access to the
    conversation). Embedding failures are logged and the memory stays keyword-searchable.

    Returns:
        The memory id, or None when memory is off or the answer is empty.
    """
    if not answer.strip():
        return None
    enabled, embedder = await asyncio.to_thread(_memory_embedder, workspace_id, agent_id)  # off the event loop
    if not enabled:
        return None
    scope = Scope.memories(workspace_id, agent_id, end_user_id)
    row = Row(text=exchange_text(user_text, answer), source_id=conversation_id, ref_id=run_id, title=title[:255])
    store = get_store()
    await asyncio.to_thread(store.add, "memory", scope, [row])
    if embedder is not None:
        try:
            vectors = await embedder.embed([row.text])
            await asyncio.to_thread(store.add_vectors, "memory", scope, embedder.key, [row], vectors)
        except GatewayError as exc:
            log.warning("memory %s stored without a vector: %s", row.id, exc.message)
    return row.id


def forget_conversation(*, actor: Actor, conversation_id: str, session: Session) -> None:
    """Delete the memories made in one of the actor's conversations ("forget this conversation").

    Raises:
        NotFound: not the actor's conversation. PermissionDenied.
    """
    conv = get_conversation(actor=actor, conversation_id=conversation_id, session=session)
    scope = Scope.memories(actor.workspace_id, conv.agent_id, actor.user_id)
    get_store().delete("memory", scope, lcol("source_id") == lit(conv.id))


def _user_scope(actor: Actor, agent_id: str, end_user_id: str | None, session: Session) -> Scope:
    require_agent(actor, agent_id, session)
    if end_user_id is not None and end_user_id != actor.user_id:
        require_admin(actor, session)
        member = session.exec(
            select(Membership.user_id).where(
                Membership.workspace_id == actor.workspace_id, Membership.user_id == end_user_id
            )
        ).first()
        if member is None:  # a grant holder's memories are theirs alone (see accounts.principal)
            raise NotFound("No such member.")
    return Scope.memories(actor.workspace_id, agent_id, end_user_id or actor.user_id)


def export_memories(
    *, actor: Actor, agent_id: str, end_user_id: str | None = None, session: Session
) -> list[dict[str, Any]]:
    """A user's memories with an agent as JSON-ready dicts, oldest first.

    Args:
        end_user_id: Whose memories; default the actor's own. Another user's needs owner/admin.

    Returns:
        ``[{"id", "conversation_id", "run_id", "text", "created_at" (ISO 8601 UTC)}]``.

    Raises:
        NotFound, PermissionDenied.
    """
    scope = _user_scope(actor, agent_id, end_user_id, session)
    rows = sorted(get_store().scan("memory", scope), key=lambda r: r["created_at"])
    return [
        {
            "id": r["id"],
            "conversation_id": r["source_id"],
            "run_id": r["ref_id"],
            "text": r["text"],
            "created_at": r["created_at"].isoformat(),
        }
        for r in rows
    ]


def delete_memories(*, actor: Actor, agent_id: str, end_user_id: str | None = None, session: Session) -> int:
    """Delete all of a user's memories with an agent (default: the actor's own).

    Returns:
        How many were deleted. Raises NotFound, PermissionDenied (another user's needs admin).
    """
    scope = _user_scope(actor, agent_id, end_user_id, session)
    store = get_store()
    count = store.count("memory", scope)
    store.delete("memory", scope)
    return count


def memory_stats(*, actor: Actor, agent_id: str, session: Session) -> MemoryStats:
    """Rows and bytes (UTF-8 text + float32 vectors) of an agent's knowledge and memories."""
    require_agent(actor, agent_id, session)
    store = get_store()
    figures: dict[str, tuple[int, int]] = {}
    last: datetime | None = None
    for kind, scope in (
        ("knowledge", Scope.knowledge(actor.workspace_id, agent_id)),
        ("memory", Scope(actor.workspace_id, agent_id, None)),
    ):
        rows = 0
        size = 0
        for r in store.scan(kind, scope, columns=["text", "created_at"]):  # type: ignore[arg-type]
            rows += 1
            size += len(r["text"].encode("utf-8"))
            last = r["created_at"] if last is None or r["created_at"] > last else last
        figures[kind] = (rows, size + store.vector_bytes(kind, scope))  # type: ignore[arg-type]
    return MemoryStats(
        knowledge_rows=figures["knowledge"][0],
        knowledge_bytes=figures["knowledge"][1],
        memory_rows=figures["memory"][0],
        memory_bytes=figures["memory"][1],
        last_indexed_at=last,
    )


def prune_agent(settings: AgentMemorySettings, *, now: datetime | None = None) -> int:
    """Apply an agent's pruning rules (max age, max rows per end user). Returns rows deleted."""
    now = now or utcnow()
    store = get_store()
    scope = Scope(settings.workspace_id, settings.agent_id, None)
    deleted = 0
    if settings.max_age_days:
        cutoff = now - timedelta(days=settings.max_age_days)
        old = lcol("created_at") < lit(cutoff)
        deleted += store.count("memory", scope, old)
        store.delete("memory", scope, old)
    if settings.max_rows:
        by_user: dict[str, list[tuple[datetime, str]]] = {}
        for r in store.scan("memory", scope, columns=["id", "end_user_id", "created_at"]):
            by_user.setdefault(r["end_user_id"], []).append((r["created_at"], r["id"]))
        for user, items in by_user.items():
            items.sort(reverse=True)
            surplus = [memory_id for _t, memory_id in items[settings.max_rows :]]
            for start in range(0, len(surplus), 500):
                ids = surplus[start : start + 500]
                store.delete(
                    "memory", Scope.memories(settings.workspace_id, settings.agent_id, user), lcol("id").isin(ids)
                )
                deleted += len(ids)
    return deleted


def prune_due(*, every: timedelta = timedelta(minutes=10)) -> int:
    """Prune every agent with rules whose last pruning is older than ``every``. Returns rows deleted."""
    now = utcnow()
    total = 0
    with session_scope() as session:
        rows = session.exec(select(AgentMemorySettings)).all()
        due = [r for r in rows if (r.max_age_days or r.max_rows) and (r.pruned_at is None or r.pruned_at < now - every)]
        for row in due:
            total += prune_agent(row, now=now)
            row.pruned_at = now
            session.add(row)
    return total
