"""State of the "Embedding model" section of ``/settings``: keyword mode or hybrid search.

Without a model, knowledge and memories are searched by words only ("keyword mode"). Choosing a
connection and embedding model makes one test embedding (its error is shown as is), then every
passage and memory of the workspace is re-embedded in the background; the section polls
``embedding_status`` while that runs and shows a progress bar.
"""

from __future__ import annotations

import asyncio
import dataclasses
import time
from typing import Any

import reflex as rx

from backend.accounts import permissions
from backend.accounts.actor import Actor, NotFound, PermissionDenied
from backend.accounts.roles import is_manager
from backend.connections.service import list_connections
from backend.db import session_scope
from backend.memory.embedder import GatewayError, clear_embedding_model, embedding_status, set_embedding_model
from backend.models.memory import EmbeddingStatusPublic
from dashboard.shell.auth import signed_in

POLL_S = 1.0
MAX_POLL_S = 3600.0


@dataclasses.dataclass
class EmbeddingConnection:
    """A connection the embedding model can be called through (no secrets)."""

    id: str = ""
    label: str = ""


class EmbeddingsState(rx.State):
    """The workspace's embedding model and its re-embedding progress."""

    loaded: bool = False
    can_manage: bool = False
    connections: list[EmbeddingConnection] = []
    connection_id: str = ""
    model: str = ""
    mode: str = "keyword"
    status: str = "ready"
    percent: int = 100
    done: int = 0
    total: int = 0
    status_error: str = ""
    connection_error: str = ""
    model_error: str = ""
    error: str = ""
    notice: str = ""
    saving: bool = False
    form_key: int = 0
    _poll_gen: int = 0

    def _apply(self, status: EmbeddingStatusPublic) -> None:
        self.mode, self.status, self.status_error = status.mode, status.status, status.error
        self.percent, self.done, self.total = round(status.progress * 100), status.done, status.total
        if status.connection_id:
            self.connection_id, self.model = status.connection_id, status.model
        elif status.mode == "keyword" and status.status == "ready":
            self.model = ""

    def _refresh(self, actor: Actor) -> None:
        with session_scope() as session:
            self.can_manage = is_manager(actor, session)
            viewable = permissions.can(actor, permissions.CONNECTIONS_VIEW, session)  # viewers see no connections
            self.connections = [
                EmbeddingConnection(c.id, f"{c.name} · {c.provider_label}")
                for c in (list_connections(actor=actor, session=session) if viewable else [])
            ]
            self._apply(embedding_status(actor=actor, session=session))
        if not self.connection_id and self.connections:
            self.connection_id = self.connections[0].id
        self.form_key += 1

    def _clear(self) -> None:
        self.error = self.notice = self.connection_error = self.model_error = ""

    @rx.event
    async def load(self):  # type: ignore[no-untyped-def]
        """On mount: the current mode and model, the connections, and polling if re-embedding."""
        actor = await signed_in(self)
        self._clear()
        self._poll_gen += 1
        try:
            self._refresh(actor)
        except PermissionDenied as exc:
            self.error = str(exc)
        self.loaded = True
        return EmbeddingsState.poll if self.status == "reembedding" else None

    @rx.event
    def leave(self) -> None:
        """On unmount: stop polling."""
        self._poll_gen += 1

    @rx.event
    def set_connection(self, value: str) -> None:
        """Pick the connection the embedding model is called through."""
        self.connection_id = value

    @rx.event(background=True)
    async def poll(self):  # type: ignore[no-untyped-def]
        """Read the re-embedding progress about once a second until it is finished or failed."""
        async with self:
            self._poll_gen += 1
            gen = self._poll_gen
        deadline = time.monotonic() + MAX_POLL_S
        while time.monotonic() < deadline:
            await asyncio.sleep(POLL_S)
            async with self:
                if self._poll_gen != gen:
                    return
                actor = await signed_in(self)
            with session_scope() as session:
                status = embedding_status(actor=actor, session=session)
            async with self:
                if self._poll_gen != gen:
                    return
                self._apply(status)
                if status.status != "reembedding":
                    self.notice = "Re-embedding finished: hybrid search is on." if status.status == "ready" else ""
                    return

    @rx.event(background=True)
    async def save(self, form: dict[str, Any]):  # type: ignore[no-untyped-def]
        """Check the model with one embedding (slow: outside the state lock), save it, re-embed."""
        model = str(form.get("embedding_model", "") or "").strip()
        async with self:
            actor = await signed_in(self)
            if self.saving:
                return None
            self._clear()
            self.model, connection_id = model, self.connection_id
            if not connection_id:
                self.connection_error = "Choose a connection."
                return None
            if not model:
                self.model_error = "Type the embedding model's name, e.g. text-embedding-3-small."
                return None
            self.saving = True
        status: EmbeddingStatusPublic | None = None
        field, message = "", ""
        try:
            status = await set_embedding_model(actor=actor, connection_id=connection_id, model=model)
        except GatewayError as exc:
            field, message = "model", f"The test embedding failed: {exc.message}"
        except ValueError as exc:
            field, message = "model", str(exc)
        except NotFound:
            field, message = "connection", "That connection no longer exists."
        except PermissionDenied as exc:
            field, message = "form", str(exc)
        async with self:
            self.saving = False
            if status is None:
                self.model_error = message if field == "model" else ""
                self.connection_error = message if field == "connection" else ""
                self.error = message if field == "form" else ""
                return None
            self._apply(status)
            if status.status == "reembedding":
                self.notice = f"{model} works. Re-embedding your knowledge and memories…"
                return EmbeddingsState.poll
            self.notice = f"{model} is the embedding model."
        return None

    @rx.event
    async def use_keywords(self):  # type: ignore[no-untyped-def]
        """Back to keyword mode: vectors are deleted, search matches words only."""
        actor = await signed_in(self)
        self._clear()
        self._poll_gen += 1
        try:
            with session_scope() as session:
                self._apply(clear_embedding_model(actor=actor, session=session))
        except PermissionDenied as exc:
            self.error = str(exc)
            return None
        self.model, self.form_key = "", self.form_key + 1
        self.notice = "Keyword mode: knowledge and memories are searched by words only."
        return None
