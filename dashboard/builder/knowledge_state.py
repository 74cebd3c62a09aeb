"""State of the agent's "Knowledge" card on ``/agents/<id>``: sources, ingestion progress, search mode.

Files, pasted text and URLs are handed to :mod:`backend.memory.knowledge`, which queues them for
the background worker. While anything is in flight, :meth:`KnowledgeState.poll` (a background
event) reads ``knowledge_progress`` about once a second and stops when all sources are finished
or the card is unmounted (the user left the page).
"""

from __future__ import annotations

import asyncio
import time
from typing import Any

import reflex as rx

from backend.accounts.actor import Actor, NotFound, PermissionDenied
from backend.config import get_settings
from backend.db import session_scope
from backend.memory.embedder import embedding_status
from backend.memory.knowledge import (
    KnowledgeInputError,
    UploadedFile,
    add_files,
    add_text,
    add_url,
    knowledge_progress,
    remove_source,
)
from backend.memory.quota import size_text
from backend.models.memory import KnowledgeProgress
from dashboard.builder.knowledge_rows import SourceRow, cap_label, drop_message, size_label, source_row
from dashboard.builder.memory_state import MemoryState
from dashboard.shell.auth import signed_in

UPLOAD_ID = "knowledge-files"
POLL_S = 1.0
MAX_POLL_S = 3600.0  # a forgotten tab stops polling after an hour


def _snapshot(actor: Actor, agent_id: str) -> tuple[KnowledgeProgress, str]:
    """What the card shows: every source with the overall progress, and the embedding model."""
    with session_scope() as session:
        progress = knowledge_progress(actor=actor, agent_id=agent_id, session=session)
        status = embedding_status(actor=actor, session=session)
    return progress, status.model if status.mode == "hybrid" else ""


class KnowledgeState(rx.State):
    """The agent's knowledge sources, the batch progress bar and keyword/hybrid mode."""

    agent_id: str = ""
    loaded: bool = False
    error: str = ""
    notice: str = ""
    sources: list[SourceRow] = []
    percent: int = 100
    busy: bool = False
    mode: str = "keyword"
    embedding_model: str = ""
    cap: str = "20 MB"
    cap_bytes: int = 20_000_000
    rejected: list[str] = []
    uploading: bool = False
    upload_percent: int = 0
    title_error: str = ""
    text_error: str = ""
    url_error: str = ""
    text_form_key: int = 0
    url_form_key: int = 0
    storage: str = ""
    storage_full: bool = False
    _poll_gen: int = 0

    @rx.var
    def in_flight(self) -> int:
        """How many sources are still being processed."""
        return sum(1 for s in self.sources if s.active)

    @rx.var
    def failed(self) -> int:
        """How many sources failed."""
        return sum(1 for s in self.sources if s.status == "failed")

    def _apply(self, progress: KnowledgeProgress, model: str) -> None:
        self.sources = [source_row(s) for s in progress.sources]
        self.percent = round(progress.progress * 100)
        self.busy, self.mode, self.embedding_model = progress.busy, progress.mode, model
        used, quota = progress.storage_used_bytes, progress.storage_quota_bytes
        self.storage = f"{size_text(used)} of {size_text(quota)} used" if quota else ""
        self.storage_full = bool(quota) and used >= quota * 0.95

    def _refresh(self, actor: Actor) -> None:
        self._apply(*_snapshot(actor, self.agent_id))

    def _clear(self) -> None:
        self.error = self.notice = self.title_error = self.text_error = self.url_error = ""

    @rx.event
    async def load(self, agent_id: str):  # type: ignore[no-untyped-def]
        """On mount: the agent's sources; starts polling if some are still being processed."""
        actor = await signed_in(self)
        self._clear()
        self.rejected, self.sources, self.loaded = [], [], False
        self.agent_id = agent_id
        self.cap, self.cap_bytes = cap_label(), get_settings().max_upload_bytes
        self._poll_gen += 1
        if not agent_id or agent_id == "new":
            return None
        try:
            self._refresh(actor)
        except (NotFound, PermissionDenied) as exc:
            self.error = str(exc) or "This agent's knowledge is not available."
        self.loaded = True
        return KnowledgeState.poll if self.busy else None

    @rx.event
    def leave(self) -> None:
        """On unmount (the user left the page): stop polling."""
        self._poll_gen += 1

    @rx.event(background=True)
    async def poll(self):  # type: ignore[no-untyped-def]
        """Read the ingestion progress about once a second until nothing is in flight."""
        async with self:
            self._poll_gen += 1
            gen, agent_id = self._poll_gen, self.agent_id
        deadline = time.monotonic() + MAX_POLL_S
        while time.monotonic() < deadline:
            await asyncio.sleep(POLL_S)
            async with self:
                if self._poll_gen != gen or self.agent_id != agent_id:
                    return
                actor = await signed_in(self)
            try:
                snapshot = await asyncio.to_thread(_snapshot, actor, agent_id)
            except (NotFound, PermissionDenied):
                return
            async with self:
                if self._poll_gen != gen or self.agent_id != agent_id:
                    return
                self._apply(*snapshot)
                busy = self.busy
            if not busy:
                yield MemoryState.refresh_stats
                return

    @rx.event
    async def upload(self, files: list[rx.UploadFile]):  # type: ignore[no-untyped-def]
        """Files were chosen or dropped: add them (each gets its own status) and start polling."""
        actor = await signed_in(self)
        self.uploading = False
        if not files:  # every dropped file was refused by the browser (see files_rejected)
            return None
        self._clear()
        chosen: list[UploadedFile] = []
        for file in files:
            name = file.name or "untitled"
            if file.size is not None and file.size > self.cap_bytes:  # refused before reading it
                message = f"{name}: the file is {size_label(file.size)}; the limit is {self.cap}."
                self.rejected = [*self.rejected, message]
                continue
            chosen.append(UploadedFile(name=name, data=await file.read()))
        try:
            if chosen:
                with session_scope() as session:
                    added = add_files(actor=actor, agent_id=self.agent_id, files=chosen, session=session)
                ok = sum(1 for a in added if a.status != "failed")
                n = f"{len(added)} file{'s' if len(added) != 1 else ''}"
                self.notice = f"Added {n}." if ok == len(added) else f"Added {ok} of {n}; see why below."
            self._refresh(actor)
        except (NotFound, PermissionDenied) as exc:
            self.error = str(exc) or "This agent no longer exists."
            return None
        return KnowledgeState.poll

    @rx.event
    def upload_progress(self, progress: dict[str, Any]) -> None:
        """The browser reports how much of the chosen files it has sent (0.0-1.0)."""
        share = float(progress.get("progress", 0) or 0)
        self.uploading, self.upload_percent = share < 1, round(share * 100)

    @rx.event
    def dismiss_rejected(self) -> None:
        """Hide the list of refused files."""
        self.rejected = []

    @rx.event
    def files_rejected(self, records: list[dict[str, Any]]) -> None:
        """The browser refused some files before uploading (too big, too many)."""
        self.rejected = [drop_message(r, self.cap) for r in records]

    @rx.event
    async def add_text(self, form: dict[str, Any]):  # type: ignore[no-untyped-def]
        """ "Add text": a pasted text (Markdown allowed) with a title."""
        actor = await signed_in(self)
        self._clear()
        title, text = str(form.get("knowledge_title", "") or ""), str(form.get("knowledge_text", "") or "")
        if len(title.strip()) > 200:
            self.title_error = "Keep the title under 200 characters."
            return None
        try:
            with session_scope() as session:
                add_text(actor=actor, agent_id=self.agent_id, title=title, text=text, session=session)
            self._refresh(actor)
        except KnowledgeInputError as exc:
            self.text_error = str(exc)
            return None
        except (NotFound, PermissionDenied) as exc:
            self.error = str(exc) or "This agent no longer exists."
            return None
        self.text_form_key += 1
        self.notice = "Text added."
        return KnowledgeState.poll

    @rx.event
    async def add_url(self, form: dict[str, Any]):  # type: ignore[no-untyped-def]
        """ "Add URL": a web page or document, fetched in the background."""
        actor = await signed_in(self)
        self._clear()
        try:
            with session_scope() as session:
                add_url(actor=actor, agent_id=self.agent_id, url=str(form.get("knowledge_url", "")), session=session)
            self._refresh(actor)
        except KnowledgeInputError as exc:
            self.url_error = str(exc)
            return None
        except (NotFound, PermissionDenied) as exc:
            self.error = str(exc) or "This agent no longer exists."
            return None
        self.url_form_key += 1
        self.notice = "URL added; it is fetched in the background."
        return KnowledgeState.poll

    @rx.event
    async def remove(self, source_id: str):  # type: ignore[no-untyped-def]
        """Remove a source and its passages (after the confirmation dialog)."""
        actor = await signed_in(self)
        self._clear()
        name = next((s.name for s in self.sources if s.id == source_id), "The source")
        try:
            with session_scope() as session:
                remove_source(actor=actor, agent_id=self.agent_id, source_id=source_id, session=session)
            self.notice = f"Removed “{name}” and its passages."
        except (NotFound, PermissionDenied):
            self.error = f"“{name}” was already removed."
        try:
            self._refresh(actor)
        except (NotFound, PermissionDenied):
            return None
        return MemoryState.refresh_stats
