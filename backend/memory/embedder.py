"""The workspace's embedding model: choosing it, embedding with it, and re-embedding on a switch.

Without a model the workspace is in **keyword mode** (BM25 only). Choosing a model checks it
with one embedding call (which also tells the vector length), then re-embeds every knowledge
chunk and memory of the workspace in the background; retrieval keeps using the previous vectors
(or keywords) until the new ones are complete, then switches (``active_key`` = ``target_key``)
and the old vectors are deleted. Re-embedding is resumable: rows that already have a vector of
the target model are skipped.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import timedelta

from sqlalchemy import or_, update
from sqlmodel import Session, col, select

from backend.accounts.actor import Actor, NotFound, PermissionDenied, require_member
from backend.config import get_settings
from backend.connections.service import Credentials, resolve_credentials
from backend.db import session_scope
from backend.gateway.embeddings import embed_texts
from backend.gateway.llm import GatewayError as GatewayError
from backend.gateway.usage import record_usage
from backend.memory.access import model_key, require_admin, system_actor
from backend.memory.store import KINDS, Kind, Row, Scope, get_store
from backend.models import Connection, EmbeddingSettings, UsageRecord
from backend.models.common import utcnow
from backend.models.gateway import usd_to_nano
from backend.models.memory import EmbeddingStatusPublic
from backend.security.vault import VaultError

log = logging.getLogger(__name__)
BATCH = 64
CLAIM_TIMEOUT = timedelta(minutes=10)


@dataclass(frozen=True)
class Embedder:
    """Embeds texts with one workspace model. ``key`` names its vectors in the store.

    Every call writes a gateway usage record (tokens, USD, ms) for ``workspace_id``, so
    embeddings show up in usage totals like chat calls do.
    """

    key: str
    model: str
    credentials: Credentials = field(repr=False)
    workspace_id: str = ""

    async def embed(self, texts: Sequence[str]) -> list[list[float]]:
        """Vectors for ``texts`` (L2-normalised). Raises GatewayError (recorded as a failed call)."""
        started = time.perf_counter()
        try:
            result = await embed_texts(
                provider_id=self.credentials.provider,
                model=self.model,
                api_key=self.credentials.api_key,
                base_url=self.credentials.base_url,
                texts=list(texts),
                timeout_s=get_settings().llm_timeout_s,
            )
        except GatewayError as exc:
            self._record(status="error", error=exc, latency_ms=int((time.perf_counter() - started) * 1000))
            raise
        self._record(status="ok", tokens=result.prompt_tokens, cost=result.cost_usd, latency_ms=result.latency_ms)
        return result.vectors

    def _record(
        self, *, status: str, latency_ms: int, tokens: int = 0, cost: float = 0.0, error: GatewayError | None = None
    ) -> None:
        if not self.workspace_id:
            return
        record = UsageRecord(
            workspace_id=self.workspace_id,
            connection_id=self.credentials.connection_id or None,
            provider=self.credentials.provider,
            model=self.model,
            prompt_tokens=tokens,
            cost_nano_usd=usd_to_nano(cost),
            cost_note="embedding",
            latency_ms=latency_ms,
            status=status,
            error_class=error.kind if error else "",
            error=error.message if error else "",
            streamed=False,
        )
        with session_scope() as session:
            record_usage(session, record, secret=self.credentials.api_key)


def _settings(workspace_id: str, session: Session) -> EmbeddingSettings:
    row = session.get(EmbeddingSettings, workspace_id)
    return row if row is not None else EmbeddingSettings(workspace_id=workspace_id)


def embedder_for(workspace_id: str, *, which: str = "active", session: Session) -> Embedder | None:
    """The embedder retrieval (``which="active"``) or new writes (``"target"``) should use.

    Returns:
        None in keyword mode, while a first model is still being embedded (``active``), or
        when the model's connection is gone or its key cannot be decrypted (logged).
    """
    row = session.get(EmbeddingSettings, workspace_id)
    if row is None or not row.connection_id or not row.model:
        return None
    key = row.active_key if which == "active" else row.target_key
    if not key or key != model_key(row.connection_id, row.model):
        return None  # the active vectors are of an older model whose connection may be gone
    try:
        creds = resolve_credentials(
            actor=system_actor(workspace_id, session), connection_id=row.connection_id, session=session
        )
    except (NotFound, PermissionDenied, VaultError) as exc:
        log.warning("embedding model of workspace %s unusable (%s): keyword search only", workspace_id, exc)
        return None
    return Embedder(key, row.model, creds, workspace_id)


def _public(row: EmbeddingSettings) -> EmbeddingStatusPublic:
    mode = "hybrid" if row.active_key else "keyword"
    progress = 1.0 if row.total == 0 else min(1.0, row.done / row.total)
    return EmbeddingStatusPublic(
        mode=mode,
        connection_id=row.connection_id,
        model=row.model,
        status=row.status,
        progress=progress,
        done=row.done,
        total=row.total,
        error=row.error,
    )


def embedding_status(*, actor: Actor, session: Session) -> EmbeddingStatusPublic:
    """Keyword or hybrid mode and re-embedding progress, for the builder to poll."""
    require_member(actor, session)
    return _public(_settings(actor.workspace_id, session))


async def set_embedding_model(*, actor: Actor, connection_id: str, model: str) -> EmbeddingStatusPublic:
    """Choose the workspace's embedding model and start re-embedding in the background.

    One test embedding is made first, so a wrong model or key fails here with the provider's words.

    Raises:
        PermissionDenied: not an owner/admin. NotFound: the connection is not the workspace's.
        GatewayError: the test embedding failed.
        ValueError: empty model name.
    """
    model = model.strip()
    if not model:
        raise ValueError("Choose an embedding model.")
    with session_scope() as session:
        require_admin(actor, session)
        creds = resolve_credentials(actor=actor, connection_id=connection_id, session=session)
    probe = await embed_texts(
        provider_id=creds.provider,
        model=model,
        api_key=creds.api_key,
        base_url=creds.base_url,
        texts=["Agent Hub embedding check"],
        timeout_s=get_settings().llm_timeout_s,
    )
    with session_scope() as session:
        row = _settings(actor.workspace_id, session)
        row.connection_id, row.model, row.dimension = connection_id, model, probe.dimension
        row.target_key = model_key(connection_id, model)
        row.status = "ready" if row.target_key == row.active_key else "reembedding"
        row.done, row.total, row.error, row.claimed_at, row.updated_at = 0, 0, "", None, utcnow()
        session.add(row)
        session.flush()
        status = _public(row)
    from backend.memory.wakeup import notify

    notify()
    return status


def clear_embedding_model(*, actor: Actor, session: Session) -> EmbeddingStatusPublic:
    """Back to keyword mode; the workspace's vectors are deleted. Raises PermissionDenied."""
    require_admin(actor, session)
    row = _settings(actor.workspace_id, session)
    row.connection_id, row.model, row.dimension, row.target_key, row.active_key = None, "", 0, "", ""
    row.status, row.done, row.total, row.error, row.updated_at = "ready", 0, 0, "", utcnow()
    session.add(row)
    session.flush()
    for kind in KINDS:
        get_store().delete_vectors(kind, Scope(actor.workspace_id, None, None))
    return _public(row)


def _claim(workspace_id: str | None) -> str | None:
    """Claim one workspace whose re-embedding is pending (conditional UPDATE: one worker wins)."""
    now = utcnow()
    with session_scope() as session:
        query = select(EmbeddingSettings.workspace_id).where(
            EmbeddingSettings.status == "reembedding",
            or_(col(EmbeddingSettings.claimed_at).is_(None), col(EmbeddingSettings.claimed_at) < now - CLAIM_TIMEOUT),
        )
        if workspace_id:
            query = query.where(EmbeddingSettings.workspace_id == workspace_id)
        for candidate in session.exec(query.limit(5)).all():
            claimed = session.execute(
                update(EmbeddingSettings)
                .where(col(EmbeddingSettings.workspace_id) == candidate, col(EmbeddingSettings.status) == "reembedding")
                .where(
                    or_(
                        col(EmbeddingSettings.claimed_at).is_(None),
                        col(EmbeddingSettings.claimed_at) < now - CLAIM_TIMEOUT,
                    )
                )
                .values(claimed_at=now)
            )
            if claimed.rowcount == 1:  # type: ignore[attr-defined]
                return candidate
    return None


def _progress(workspace_id: str, **values: object) -> None:
    with session_scope() as session:
        session.execute(
            update(EmbeddingSettings)
            .where(col(EmbeddingSettings.workspace_id) == workspace_id)
            .values(**{"updated_at": utcnow(), "claimed_at": utcnow(), **values})
        )


async def reembed_next(workspace_id: str | None = None) -> bool:
    """Re-embed one workspace with pending work (every row lacking a target vector).

    Returns:
        True if a workspace was processed (finished or failed), False if nothing was pending.
    """
    claimed = _claim(workspace_id)
    if claimed is None:
        return False
    with session_scope() as session:
        settings = session.get(EmbeddingSettings, claimed)
        connection_id = settings.connection_id if settings is not None else None
        if connection_id is None or session.get(Connection, connection_id) is None:
            _progress(claimed, status="failed", error="The embedding model's connection no longer exists.")
            return True
        embedder = embedder_for(claimed, which="target", session=session)
    if embedder is None:
        _progress(claimed, status="failed", error="No embedding model is chosen.")
        return True
    store = get_store()
    workspace = Scope(claimed, None, None)
    try:
        todo: list[tuple[Kind, dict[str, object]]] = []
        for kind in KINDS:
            have = {r["id"] for r in store.scan_vector_ids(kind, workspace, embedder.key)}
            todo += [(kind, r) for r in store.scan(kind, workspace) if r["id"] not in have]
        total = sum(store.count(k, workspace) for k in KINDS)
        done = total - len(todo)
        _progress(claimed, total=total, done=done)
        for start in range(0, len(todo), BATCH):
            batch = todo[start : start + BATCH]
            vectors = await embedder.embed([str(r["text"]) for _k, r in batch])
            for (kind, record), vector in zip(batch, vectors, strict=True):
                scope = Scope(claimed, str(record["agent_id"]), str(record["end_user_id"]))
                store.add_vectors(kind, scope, embedder.key, [_row(record)], [vector])
            done += len(batch)
            _progress(claimed, done=done)
            await asyncio.sleep(0)
    except GatewayError as exc:
        _progress(claimed, status="failed", error=f"Re-embedding stopped: {exc.message}", claimed_at=None)
        return True
    for kind in KINDS:
        store.delete_vectors(kind, workspace, keep_model_key=embedder.key)
    with session_scope() as session:
        row = session.get(EmbeddingSettings, claimed)
        if row is not None and row.target_key == embedder.key:
            row.active_key, row.status, row.error = embedder.key, "ready", ""
            row.claimed_at, row.updated_at = None, utcnow()
            session.add(row)
    return True


def _row(record: dict[str, object]) -> Row:
    return Row(
        id=str(record["id"]),
        text=str(record["text"]),
        source_id=str(record["source_id"]),
        ref_id=str(record["ref_id"]),
        title=str(record["title"]),
        location=str(record["location"]),
        position=int(record["position"] or 0),  # type: ignore[call-overload]
        created_at=record["created_at"],  # type: ignore[arg-type]
    )
