"""Plain rows of the knowledge card (no state): a source as listed, sizes, refused files."""

from __future__ import annotations

import dataclasses
from typing import Any

from backend.config import get_settings
from backend.models.memory import KnowledgeSourcePublic

STATUS_LABELS = {
    "queued": "Queued",
    "parsed": "Parsed",
    "chunked": "Chunked",
    "indexed": "Indexed",
    "failed": "Failed",
}
KIND_ICONS = {"file": "file_text", "text": "text", "url": "globe"}


def size_label(size: int) -> str:
    """``"812 B"``, ``"14.2 kB"``, ``"3.4 MB"`` (decimal units, as the size cap is given)."""
    if size < 1000:
        return f"{size} B"
    if size < 1_000_000:
        return f"{size / 1000:.1f} kB"
    return f"{size / 1_000_000:.1f} MB"


def cap_label() -> str:
    """The upload size cap from the settings, e.g. ``"20 MB"``."""
    return f"{get_settings().max_upload_mb:g} MB"


@dataclasses.dataclass
class SourceRow:
    """A row of the knowledge list (plain data; ``percent`` is this source's progress 0-100)."""

    id: str = ""
    kind: str = "file"
    icon: str = "file_text"
    name: str = ""
    detail: str = ""
    status: str = "queued"
    status_label: str = "Queued"
    error: str = ""
    percent: int = 0
    active: bool = False


def source_row(src: KnowledgeSourcePublic) -> SourceRow:
    """The list's view of a source: a status label ("Indexing 3/10") and what it is."""
    label = STATUS_LABELS.get(src.status, src.status.title())
    if src.status == "chunked" and src.chunk_count:
        label = f"Chunked · {src.chunk_count} passages"
    parts = [src.file_type.upper()] if src.file_type else []
    if src.kind == "url" and src.url:
        parts.append(src.url)
    if src.size_bytes:
        parts.append(size_label(src.size_bytes))
    if src.status == "indexed":
        parts.append(f"{src.chunk_count} passage{'s' if src.chunk_count != 1 else ''}")
    return SourceRow(
        id=src.id,
        kind=src.kind,
        icon=KIND_ICONS.get(src.kind, "file_text"),
        name=src.name,
        detail=" · ".join(parts),
        status=src.status,
        status_label=label,
        error=src.error,
        percent=round(src.progress * 100),
        active=src.status in ("queued", "parsed", "chunked"),
    )


def drop_message(record: Any, cap: str) -> str:
    """A file the browser refused before uploading: ``{"name": ..., "codes": [...]}``, the
    react-dropzone rejection reduced in the browser (see ``knowledge_panel``)."""
    record = record if isinstance(record, dict) else {}
    name = str(record.get("name") or "A file")[:200]
    codes = [str(c) for c in record.get("codes") or []]
    if "file-too-large" in codes:
        return f"{name}: larger than the {cap} limit, not uploaded."
    if "too-many-files" in codes:
        return f"{name}: too many files at once, not uploaded."
    return f"{name}: not uploaded."
