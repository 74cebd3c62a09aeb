"""Knowledge sources of an agent: upload files, paste text, add a URL, list, poll, remove.

Adding only checks what can be checked at once (size, emptiness, file type) and queues the
rest for the background worker (``backend.memory.ingest``); a file that fails a check is
stored as ``failed`` with its reason, so the panel shows every file the builder chose.
Every call takes the acting :class:`Actor`; agents of other workspaces are ``NotFound``.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from urllib.parse import urlsplit

from lancedb.expr import col as lcol
from lancedb.expr import lit
from sqlalchemy import event
from sqlmodel import Session, col, select

from backend.accounts.actor import Actor, NotFound
from backend.blueprints import edit_agent, require_agent
from backend.config import get_settings
from backend.memory.parsing import file_type_for, unsupported_message
from backend.memory.quota import quota_bytes, refusal, used_bytes
from backend.memory.store import Scope, get_store
from backend.models import EmbeddingSettings, KnowledgeSource, KnowledgeUpload
from backend.models.memory import KnowledgeProgress, KnowledgeSourcePublic
from backend.security.outbound import BadURL, validate_url

ACTIVE = ("queued", "parsed", "chunked")
_STAGE = {"queued": 0.0, "parsed": 0.1, "chunked": 0.2}
MAX_PASTE_TITLE = 200


class KnowledgeInputError(ValueError):
    """Invalid input for a knowledge source (empty text, malformed URL); the message says why."""


@dataclass(frozen=True)
class UploadedFile:
    """A file the builder chose: its ``name`` (with extension) and whole content."""

    name: str
    data: bytes


def source_progress(row: KnowledgeSource) -> float:
    """0.0-1.0 for one source: stages, then the share of chunks indexed; 1.0 once finished."""
    if row.status in ("indexed", "failed"):
        return 1.0
    stage = _STAGE.get(row.status, 0.0)
    if row.status == "chunked" and row.chunk_count:
        return stage + 0.8 * min(1.0, row.chunks_done / row.chunk_count)
    return stage


def to_public(row: KnowledgeSource) -> KnowledgeSourcePublic:
    """The panel's view of a source."""
    return KnowledgeSourcePublic(
        id=row.id,
        kind=row.kind,
        name=row.name,
        url=row.url,
        file_type=row.file_type,
        size_bytes=row.size_bytes,
        status=row.status,
        error=row.error,
        chunk_count=row.chunk_count,
        progress=source_progress(row),
        created_at=row.created_at,
        indexed_at=row.indexed_at,
    )


def _megabytes(size: int) -> str:
    return f"{size / 1_000_000:.1f} MB" if size >= 100_000 else f"{size / 1000:.0f} kB"


def _new_source(
    actor: Actor, agent_id: str, kind: str, name: str, size: int, *, file_type: str = "", url: str | None = None
) -> KnowledgeSource:
    return KnowledgeSource(
        workspace_id=actor.workspace_id,
        agent_id=agent_id,
        kind=kind,
        name=name[:255],
        size_bytes=size,
        file_type=file_type,
        url=url,
        created_by=actor.user_id,
    )


def _queue(session: Session, row: KnowledgeSource, data: bytes | None) -> None:
    session.add(row)
    session.flush()
    if data is not None:
        session.add(KnowledgeUpload(source_id=row.id, data=data))
        session.flush()


def _notify(session: Session) -> None:
    """Wake the worker once the queued rows are committed (before that it could not see them)."""
    from backend.memory.wakeup import notify

    event.listen(session, "after_commit", lambda _session: notify(), once=True)


def add_files(
    *, actor: Actor, agent_id: str, files: list[UploadedFile], session: Session
) -> list[KnowledgeSourcePublic]:
    """Add uploaded files to an agent's knowledge; good ones are queued for ingestion.

    A file over ``Settings.max_upload_mb``, an empty file, an unsupported type or a file that
    would take the workspace past its storage quota (``backend.memory.quota``) is recorded as
    ``failed`` with the reason ("The file is 25.3 MB; the limit is 20.0 MB.").

    Returns:
        One ``KnowledgeSourcePublic`` per file, in order.

    Raises:
        NotFound, PermissionDenied.
    """
    edit_agent(actor, agent_id, session)
    cap = get_settings().max_upload_bytes
    used = used_bytes(actor.workspace_id, session)
    out = []
    for upload in files:
        name = (upload.name or "untitled").strip().replace("\\", "/").rsplit("/", 1)[-1] or "untitled"
        size = len(upload.data)
        file_type = file_type_for(name)
        error = ""
        if file_type is None:
            error = unsupported_message(name)
        elif size == 0:
            error = "The file is empty."
        elif size > cap:
            error = f"The file is {_megabytes(size)}; the limit is {_megabytes(cap)}."
        else:
            error = refusal(used, size, "this file") or ""
        used += 0 if error else size
        row = _new_source(actor, agent_id, "file", name, size, file_type=file_type or "")
        if error:
            row.status, row.error = "failed", error
        _queue(session, row, None if error else upload.data)
        out.append(to_public(row))
    _notify(session)
    return out


def add_text(*, actor: Actor, agent_id: str, title: str, text: str, session: Session) -> KnowledgeSourcePublic:
    """Add pasted text (Markdown allowed) as a source.

    Raises:
        KnowledgeInputError: empty, over the upload cap, or over the workspace's storage quota.
        NotFound, PermissionDenied.
    """
    edit_agent(actor, agent_id, session)
    data = text.strip().encode("utf-8")
    if not data:
        raise KnowledgeInputError("Paste some text first.")
    if len(data) > get_settings().max_upload_bytes:
        cap = _megabytes(get_settings().max_upload_bytes)
        raise KnowledgeInputError(f"The text is {_megabytes(len(data))}; the limit is {cap}.")
    refused = refusal(used_bytes(actor.workspace_id, session), len(data), "this text")
    if refused:
        raise KnowledgeInputError(refused)
    name = title.strip()[:MAX_PASTE_TITLE] or text.strip().splitlines()[0][:60]
    row = _new_source(actor, agent_id, "text", name, len(data), file_type="md")
    _queue(session, row, data)
    _notify(session)
    return to_public(row)


def add_url(*, actor: Actor, agent_id: str, url: str, session: Session) -> KnowledgeSourcePublic:
    """Add a web page or document URL; the worker fetches it through the network guard.

    Raises:
        KnowledgeInputError: not an http(s) URL, or the workspace's storage quota is used up
            (the fetched page is checked against it again by the worker). NotFound, PermissionDenied.
    """
    edit_agent(actor, agent_id, session)
    url = url.strip()
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https") or not parts.hostname or len(url) > 2000:
        raise KnowledgeInputError("Enter a web address starting with http:// or https://.")
    try:
        validate_url(url)  # odd host spellings (0177.0.0.1) are refused here, not at fetch time
    except BadURL as exc:
        raise KnowledgeInputError(str(exc)) from None
    refused = refusal(used_bytes(actor.workspace_id, session), 0, "this page")
    if refused:
        raise KnowledgeInputError(refused)
    row = _new_source(actor, agent_id, "url", parts.hostname + parts.path[:200], 0, url=url)
    _queue(session, row, None)
    _notify(session)
    return to_public(row)


def list_sources(*, actor: Actor, agent_id: str, session: Session) -> list[KnowledgeSourcePublic]:
    """The agent's sources, newest first."""
    require_agent(actor, agent_id, session)
    rows = session.exec(
        select(KnowledgeSource)
        .where(KnowledgeSource.workspace_id == actor.workspace_id, KnowledgeSource.agent_id == agent_id)
        .order_by(col(KnowledgeSource.created_at).desc())
    ).all()
    return [to_public(r) for r in rows]


def knowledge_progress(*, actor: Actor, agent_id: str, session: Session) -> KnowledgeProgress:
    """What the panel polls: every source, the overall progress of the current batch, and mode.

    ``progress`` averages the sources still in flight and those that finished after the oldest
    of them was added, so it only grows while a batch runs (1.0 when nothing is in flight).
    ``mode`` is ``keyword`` or ``hybrid``; ``storage_used_bytes`` / ``storage_quota_bytes`` are
    the workspace's knowledge storage and its quota.
    """
    require_agent(actor, agent_id, session)
    rows = session.exec(
        select(KnowledgeSource)
        .where(KnowledgeSource.workspace_id == actor.workspace_id, KnowledgeSource.agent_id == agent_id)
        .order_by(col(KnowledgeSource.created_at).desc())
    ).all()
    active = [r for r in rows if r.status in ACTIVE]
    progress = 1.0
    if active:
        since: datetime = min(r.created_at for r in active)
        batch = [r for r in rows if r.status in ACTIVE or r.updated_at >= since]
        progress = sum(source_progress(r) for r in batch) / len(batch)
    settings = session.get(EmbeddingSettings, actor.workspace_id)
    mode = "hybrid" if settings is not None and settings.active_key else "keyword"
    return KnowledgeProgress(
        sources=[to_public(r) for r in rows],
        progress=progress,
        busy=bool(active),
        mode=mode,
        storage_used_bytes=used_bytes(actor.workspace_id, session),
        storage_quota_bytes=quota_bytes(),
    )


def remove_source(*, actor: Actor, agent_id: str, source_id: str, session: Session) -> None:
    """Remove a source and all its chunks and vectors. Raises NotFound, PermissionDenied."""
    edit_agent(actor, agent_id, session)
    row = session.get(KnowledgeSource, source_id)
    if row is None or row.workspace_id != actor.workspace_id or row.agent_id != agent_id:
        raise NotFound("Source not found.")
    get_store().delete("knowledge", Scope.knowledge(actor.workspace_id, agent_id), lcol("source_id") == lit(row.id))
    upload = session.get(KnowledgeUpload, row.id)
    if upload is not None:
        session.delete(upload)
    session.delete(row)
    session.flush()
