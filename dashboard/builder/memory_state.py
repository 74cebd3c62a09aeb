"""State of the agent's "Memory" card on ``/agents/<id>``: the memory switch, pruning rules, stats,
and the signed-in user's own memories (export as JSON, delete all).
"""

from __future__ import annotations

import json
from datetime import datetime
from typing import Any

import reflex as rx

from backend.accounts.actor import Actor, NotFound, PermissionDenied
from backend.db import session_scope
from backend.memory.conversation import (
    MAX_AGE_DAYS_LIMIT,
    MAX_ROWS_LIMIT,
    MemorySettingsError,
    delete_memories,
    export_memories,
    get_memory_settings,
    memory_stats,
    update_memory_settings,
)
from backend.models.common import utcnow
from dashboard.shell.auth import signed_in

GONE = "This agent no longer exists."


def _bytes(size: int) -> str:
    if size < 1000:
        return f"{size} B"
    if size < 1_000_000:
        return f"{size / 1000:.1f} kB"
    return f"{size / 1_000_000:.1f} MB"


def _count(n: int, one: str, many: str) -> str:
    return f"{n:,} {one if n == 1 else many}"


def _when(value: datetime | None) -> str:
    return value.strftime("%Y-%m-%d %H:%M UTC") if value is not None else "never"


def parse_limit(raw: Any, low: int, high: int, message: str) -> tuple[int | None, str]:
    """A whole number in ``[low, high]`` from a form field, or None when empty; plus an error."""
    text = str(raw or "").strip().replace(",", "").replace("_", "")
    if not text:
        return None, ""
    try:
        value = int(text)
    except ValueError:
        return None, message
    if not low <= value <= high:
        return None, message
    return value, ""


class MemoryState(rx.State):
    """Long-term memory of the agent open in the builder."""

    agent_id: str = ""
    loaded: bool = False
    enabled: bool = False
    max_age_days: str = ""
    max_rows: str = ""
    max_age_error: str = ""
    max_rows_error: str = ""
    error: str = ""
    notice: str = ""
    form_key: int = 0
    knowledge_stats: str = ""
    memory_stats: str = ""
    last_indexed: str = ""

    def _clear(self) -> None:
        self.error = self.notice = self.max_age_error = self.max_rows_error = ""

    def _load(self, actor: Actor) -> None:
        with session_scope() as session:
            settings = get_memory_settings(actor=actor, agent_id=self.agent_id, session=session)
        self.enabled = settings.enabled
        self.max_age_days = str(settings.max_age_days or "")
        self.max_rows = str(settings.max_rows or "")
        self.form_key += 1
        self._stats(actor)

    def _stats(self, actor: Actor) -> None:
        with session_scope() as session:
            stats = memory_stats(actor=actor, agent_id=self.agent_id, session=session)
        self.knowledge_stats = (
            f"{_count(stats.knowledge_rows, 'passage', 'passages')} · {_bytes(stats.knowledge_bytes)}"
        )
        self.memory_stats = f"{_count(stats.memory_rows, 'memory', 'memories')} · {_bytes(stats.memory_bytes)}"
        self.last_indexed = _when(stats.last_indexed_at)

    @rx.event
    async def load(self, agent_id: str):  # type: ignore[no-untyped-def]
        """On mount: the agent's memory switch, pruning rules and storage figures."""
        actor = await signed_in(self)
        self._clear()
        self.agent_id, self.loaded = agent_id, False
        if not agent_id or agent_id == "new":
            return None
        try:
            self._load(actor)
        except (NotFound, PermissionDenied):
            self.error = GONE
        self.loaded = True
        return None

    @rx.event
    async def refresh_stats(self):  # type: ignore[no-untyped-def]
        """Re-read the storage figures (after indexing finished or a source was removed)."""
        actor = await signed_in(self)
        if not self.agent_id:
            return None
        try:
            self._stats(actor)
        except (NotFound, PermissionDenied):
            self.error = GONE
        return None

    def _save(self, actor: Actor, enabled: bool, max_age: int | None, max_rows: int | None) -> bool:
        try:
            with session_scope() as session:
                saved = update_memory_settings(
                    actor=actor,
                    agent_id=self.agent_id,
                    enabled=enabled,
                    max_age_days=max_age,
                    max_rows=max_rows,
                    session=session,
                )
        except MemorySettingsError as exc:
            self.error = str(exc)
            return False
        except (NotFound, PermissionDenied):
            self.error = GONE
            return False
        self.enabled = saved.enabled
        self.max_age_days, self.max_rows = str(saved.max_age_days or ""), str(saved.max_rows or "")
        return True

    def _current_rules(self) -> tuple[int | None, int | None]:
        return (int(self.max_age_days) if self.max_age_days else None, int(self.max_rows) if self.max_rows else None)

    @rx.event
    async def toggle(self, enabled: bool):  # type: ignore[no-untyped-def]
        """The memory switch: applies at once (from the next finished reply)."""
        actor = await signed_in(self)
        self._clear()
        if self._save(actor, bool(enabled), *self._current_rules()):
            self.notice = (
                "Long-term memory is on: finished exchanges are remembered for each user."
                if self.enabled
                else "Long-term memory is off: nothing new is remembered or recalled."
            )
        return None

    @rx.event
    async def save_rules(self, form: dict[str, Any]):  # type: ignore[no-untyped-def]
        """Pruning rules: forget memories older than N days, keep at most N per user (empty: no rule)."""
        actor = await signed_in(self)
        self._clear()
        max_age, self.max_age_error = parse_limit(
            form.get("memory_max_age"), 1, MAX_AGE_DAYS_LIMIT, f"Enter whole days from 1 to {MAX_AGE_DAYS_LIMIT}."
        )
        max_rows, self.max_rows_error = parse_limit(
            form.get("memory_max_rows"), 1, MAX_ROWS_LIMIT, f"Enter a whole number from 1 to {MAX_ROWS_LIMIT:,}."
        )
        if self.max_age_error or self.max_rows_error:
            return None
        if self._save(actor, self.enabled, max_age, max_rows):
            self.form_key += 1
            self.notice = "Pruning rules saved. They are applied in the background."
        return None

    @rx.event
    async def export(self):  # type: ignore[no-untyped-def]
        """Download the signed-in user's memories with this agent as JSON."""
        actor = await signed_in(self)
        self._clear()
        try:
            with session_scope() as session:
                rows = export_memories(actor=actor, agent_id=self.agent_id, session=session)
        except (NotFound, PermissionDenied):
            self.error = GONE
            return None
        payload = {"agent_id": self.agent_id, "exported_at": utcnow().isoformat(), "memories": rows}
        self.notice = f"Exported {_count(len(rows), 'memory', 'memories')}."
        return rx.download(
            data=json.dumps(payload, ensure_ascii=False, indent=2),
            filename=f"memories-{self.agent_id}.json",
            mime_type="application/json",
        )

    @rx.event
    async def delete_all(self):  # type: ignore[no-untyped-def]
        """Delete every memory the signed-in user has with this agent (after confirmation)."""
        actor = await signed_in(self)
        self._clear()
        try:
            with session_scope() as session:
                count = delete_memories(actor=actor, agent_id=self.agent_id, session=session)
            self._stats(actor)
        except (NotFound, PermissionDenied):
            self.error = GONE
            return None
        self.notice = f"Deleted {_count(count, 'memory', 'memories')}."
        return None
