"""Plain data and helpers of the builder form: field lists, version rows, number parsing, the snapshot
of an agent's draft that :class:`dashboard.builder.state.BuilderState` shows."""

from __future__ import annotations

import dataclasses
from datetime import datetime
from typing import Any

from sqlmodel import Session

from backend.accounts.actor import Actor
from backend.agents.drafts import differs, fields_of, get_draft
from backend.agents.service import get_blueprint, list_versions
from backend.models import BlueprintFields

ERROR_FIELDS = (
    "name",
    "description",
    "avatar",
    "connection_id",
    "model",
    "instructions",
    "temperature",
    "max_tokens",
    "starters",
    "fallbacks",
)
TAB_VALUES = ("instructions", "model", "knowledge", "tools", "memory", "limits", "versions")
TEXT_FIELDS = ("name", "description", "avatar", "instructions", "starters")
NUMBER_FIELDS: dict[str, tuple[type, str]] = {
    "temperature": (float, "Temperature must be a number between 0 and 2."),
    "max_tokens": (int, "Max output tokens must be a whole number."),
}


@dataclasses.dataclass
class VersionRow:
    """One row of the version history panel."""

    version: int = 1
    created_at: str = ""
    note: str = ""
    model: str = ""
    is_current: bool = False


def when(value: datetime) -> str:
    """A timestamp as the history shows it."""
    return value.strftime("%Y-%m-%d %H:%M UTC")


def snapshot(actor: Actor, agent_id: str, session: Session) -> tuple[BlueprintFields, Any, list[VersionRow], bool]:
    """The agent's draft (created if missing), current version, history and whether they differ."""
    draft = get_draft(actor=actor, agent_id=agent_id, session=session)
    current = get_blueprint(actor=actor, agent_id=agent_id, session=session)
    rows = [
        VersionRow(v.version, when(v.created_at), v.note, v.model, v.version == current.version)
        for v in list_versions(actor=actor, agent_id=agent_id, session=session)
    ]
    info = (current.version, current.name, current.avatar)
    return fields_of(draft), info, rows, differs(draft, current)


def parse_number(field: str, text: str) -> Any:
    """``text`` as the number type of ``field`` (``temperature``: float, commas as points). Raises ValueError."""
    kind, _ = NUMBER_FIELDS[field]
    raw = text.strip().replace(",", ".") if kind is float else text.strip()
    return kind(raw)
