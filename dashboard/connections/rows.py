"""A connection as plain data for the page: masked key, status, models preview, check time."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime

from backend.connections.providers import PROVIDERS
from backend.models import ConnectionPublic

MODELS_SHOWN = 4


@dataclass
class ConnectionRow:
    """One connection as a row of the page (masked key only)."""

    id: str = ""
    name: str = ""
    provider_label: str = ""
    needs_base_url: bool = False
    base_url: str = ""
    key_hint: str = ""
    status: str = "untested"
    status_message: str = ""
    models_preview: str = ""
    model_count: int = 0
    more_models: int = 0
    checked_label: str = ""
    checked_at: str = ""
    catalog_count: int = 0


def checked_label(when: datetime | None, now: datetime | None = None) -> str:
    """``"Checked just now"``, ``"Checked 2 min ago"``, ``"Checked 3 h ago"`` or a UTC date."""
    if when is None:
        return ""
    when = when if when.tzinfo else when.replace(tzinfo=UTC)
    seconds = ((now or datetime.now(UTC)) - when).total_seconds()
    if seconds < 60:
        return "Checked just now"
    if seconds < 3600:
        return f"Checked {int(seconds // 60)} min ago"
    if seconds < 86400:
        return f"Checked {int(seconds // 3600)} h ago"
    return f"Checked {when.strftime('%Y-%m-%d %H:%M')} UTC"


def to_row(conn: ConnectionPublic) -> ConnectionRow:
    """The page's view of a connection."""
    provider = PROVIDERS.get(conn.provider)
    models = list(conn.models)
    when = conn.last_checked_at
    return ConnectionRow(
        id=conn.id,
        name=conn.name,
        provider_label=conn.provider_label,
        needs_base_url=bool(provider and provider.needs_base_url),
        base_url=conn.base_url or "",
        key_hint=conn.key_hint,
        status=conn.status,
        status_message=conn.status_message,
        models_preview=", ".join(models[:MODELS_SHOWN]),
        model_count=len(models),
        more_models=max(0, len(models) - MODELS_SHOWN),
        checked_label=checked_label(when),
        checked_at=(when if when is None or when.tzinfo else when.replace(tzinfo=UTC)).isoformat() if when else "",
    )
