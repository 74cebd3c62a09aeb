"""Ingesting one queued knowledge source: (fetch ->) parse -> chunk -> index, with progress in the DB.

Status goes ``queued`` -> ``parsed`` -> ``chunked`` -> ``indexed``; any problem ends in
``failed`` with one plain sentence, and never affects other sources. Parsing and chunking run
in a worker process with time, memory, page and passage budgets (``parse_worker``). Chunks are written to the
BM25 table in batches (``chunks_done`` rises for the progress bar) and, when the workspace has
an embedding model, embedded and written to its vectors table. If embedding fails the source is
still ``indexed`` for keyword search, and ``error`` says so.
"""

from __future__ import annotations

import asyncio
import logging
from datetime import timedelta

import httpx
from lancedb.expr import col as lcol
from lancedb.expr import lit
from sqlalchemy import or_, update
from sqlmodel import col, select

from backend.config import get_settings
from backend.db import session_scope
from backend.gateway.llm import GatewayError
from backend.memory.embedder import embedder_for
from backend.memory.parse_worker import parse_and_chunk
from backend.memory.parsing import ParseError, file_type_for, unsupported_message
from backend.memory.quota import refusal, used_bytes
from backend.memory.store import Row, Scope, get_store
from backend.models import KnowledgeSource, KnowledgeUpload
from backend.models.common import utcnow
from backend.security.outbound import BlockedAddress, FetchTooLarge, fetch

log = logging.getLogger(__name__)
BATCH = 64


class IngestError(Exception):
    """Ingestion of a source failed; the message is for the builder."""


def _update(source_id: str, **values: object) -> None:
    with session_scope() as session:
        session.execute(
            update(KnowledgeSource)
            .where(col(KnowledgeSource.id) == source_id)
            .values(**{"updated_at": utcnow(), "claimed_at": utcnow(), **values})
        )


def claim_next(source_id: str | None = None) -> KnowledgeSource | None:
    """Claim one queued source (oldest first) for this worker.

    A conditional UPDATE (``status='queued'`` and unclaimed or stale) makes exactly one worker
    win, on SQLite and PostgreSQL alike; a claim not renewed for ``AGENTHUB_INGEST_LEASE_S``
    seconds (its worker died) is taken over.

    Returns:
        The claimed source, or None when nothing is queued.
    """
    now = utcnow()
    lease = timedelta(seconds=get_settings().ingest_lease_s)
    fresh = or_(col(KnowledgeSource.claimed_at).is_(None), col(KnowledgeSource.claimed_at) < now - lease)
    with session_scope() as session:
        query = select(KnowledgeSource).where(col(KnowledgeSource.status).in_(("queued", "parsed", "chunked")), fresh)
        if source_id:
            query = query.where(KnowledgeSource.id == source_id)
        for row in session.exec(query.order_by(col(KnowledgeSource.created_at)).limit(5)).all():
            result = session.execute(
                update(KnowledgeSource)
                .where(col(KnowledgeSource.id) == row.id, col(KnowledgeSource.status) == row.status, fresh)
                .values(claimed_at=now, status="queued")
            )
            if result.rowcount == 1:  # type: ignore[attr-defined]
                row.status, row.claimed_at = "queued", now
                return row
    return None


async def _load(source: KnowledgeSource) -> tuple[bytes, str]:
    """The source's bytes and parser: the stored upload, or the URL fetched through the guard."""
    if source.kind != "url":
        with session_scope() as session:
            upload = session.get(KnowledgeUpload, source.id)
            if upload is None:
                raise IngestError("The uploaded file is missing; upload it again.")
            return bytes(upload.data), source.file_type
    assert source.url is not None  # noqa: S101  (url sources always have one)
    try:
        page = await fetch(source.url, max_bytes=get_settings().max_upload_bytes)
    except BlockedAddress as exc:
        raise IngestError(str(exc)) from None
    except FetchTooLarge as exc:
        raise IngestError(str(exc)) from None
    except httpx.HTTPStatusError as exc:
        raise IngestError(f"The page answered {exc.response.status_code}; check the address.") from None
    except httpx.TooManyRedirects:
        raise IngestError("The page redirects too many times.") from None
    except httpx.HTTPError as exc:
        raise IngestError(f"Could not fetch the page ({type(exc).__name__}).") from None
    file_type = file_type_for(page.url.split("?", 1)[0], page.content_type) or (
        "html" if page.content_type in ("", "application/octet-stream") else None
    )
    if file_type is None:
        raise IngestError(unsupported_message(f"page.{page.content_type.rsplit('/', 1)[-1]}"))
    with session_scope() as session:
        refused = refusal(used_bytes(source.workspace_id, session, excluding=source.id), len(page.data), "this page")
    if refused:
        raise IngestError(refused)
    _update(source.id, size_bytes=len(page.data), file_type=file_type)
    return page.data, file_type


def _still_exists(source_id: str) -> bool:
    with session_scope() as session:
        return session.get(KnowledgeSource, source_id) is not None


def _renew(source_id: str) -> None:
    with session_scope() as session:
        session.execute(
            update(KnowledgeSource)
            .where(col(KnowledgeSource.id) == source_id, col(KnowledgeSource.claimed_at).is_not(None))
            .values(claimed_at=utcnow())
        )


async def _keep_lease(source_id: str) -> None:
    """Renew the claim every third of the lease until cancelled (parsing can outlast a lease)."""
    every = max(get_settings().ingest_lease_s / 3, 0.2)
    while True:
        await asyncio.sleep(every)
        try:
            await asyncio.to_thread(_renew, source_id)
        except Exception:  # noqa: BLE001  (database blip: the next renewal tries again)
            log.warning("renewing the lease of knowledge source %s failed", source_id)


async def ingest_source(source: KnowledgeSource) -> str:
    """Run the pipeline for a claimed source and record the outcome, holding its lease meanwhile.

    Returns:
        The final status: ``indexed`` or ``failed`` (or ``removed`` if deleted meanwhile).
    """
    lease = asyncio.create_task(_keep_lease(source.id))
    try:
        return await _ingest(source)
    finally:
        lease.cancel()


async def _ingest(source: KnowledgeSource) -> str:
    store = get_store()
    scope = Scope.knowledge(source.workspace_id, source.agent_id)
    try:
        data, file_type = await _load(source)
        try:  # in a worker process with time, memory, page and passage budgets
            parsed = await parse_and_chunk(data, file_type)
        except ParseError as exc:
            raise IngestError(str(exc)) from None
        title = source.name if source.kind != "url" else (parsed.title or source.name)
        _update(source.id, status="parsed", name=title[:255])
        chunks = parsed.chunks
        _update(source.id, status="chunked", chunk_count=len(chunks), chunks_done=0)
        with session_scope() as session:
            embedder = embedder_for(source.workspace_id, which="target", session=session)
        # A re-run (stale claim) must not duplicate rows.
        store.delete("knowledge", scope, lcol("source_id") == lit(source.id))
        warning = ""
        for start in range(0, len(chunks), BATCH):
            rows = [
                Row(text=c.text, source_id=source.id, title=title, location=c.location, position=c.position)
                for c in chunks[start : start + BATCH]
            ]
            await asyncio.to_thread(store.add, "knowledge", scope, rows)
            if embedder is not None and not warning:
                try:
                    vectors = await embedder.embed([r.text for r in rows])
                    await asyncio.to_thread(store.add_vectors, "knowledge", scope, embedder.key, rows, vectors)
                except GatewayError as exc:
                    warning = f"Indexed for keyword search only; embedding failed: {exc.message}"
            _update(source.id, chunks_done=start + len(rows))
    except IngestError as exc:
        _update(source.id, status="failed", error=str(exc)[:1000], claimed_at=None)
        return "failed"
    except Exception as exc:  # a bug or an outage must not leave the source spinning forever
        log.exception("ingesting knowledge source %s failed", source.id)
        _update(source.id, status="failed", error=f"Unexpected error: {type(exc).__name__}", claimed_at=None)
        return "failed"
    if not _still_exists(source.id):
        store.delete("knowledge", scope, lcol("source_id") == lit(source.id))
        return "removed"
    _update(source.id, status="indexed", error=warning, indexed_at=utcnow(), claimed_at=None)
    with session_scope() as session:
        upload = session.get(KnowledgeUpload, source.id)
        if upload is not None:
            session.delete(upload)
    return "indexed"
