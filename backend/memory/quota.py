"""The per-workspace knowledge storage quota (``AGENTHUB_STORAGE_QUOTA_MB``, default 500 MB).

Usage is the size of every knowledge source the workspace keeps (files and pasted text as
uploaded, web pages as fetched), over all its agents; sources refused at upload are not
counted. An addition that would take usage past the quota is refused with both figures named.
Two uploads racing each other may together pass the quota by at most one upload (20 MB).
"""

from __future__ import annotations

from sqlalchemy import func
from sqlmodel import Session, col, select

from backend.config import get_settings
from backend.models import KnowledgeSource


def quota_bytes() -> int:
    """The quota in bytes (``storage_quota_mb`` x 10**6)."""
    return int(get_settings().storage_quota_mb * 1_000_000)


def used_bytes(workspace_id: str, session: Session, *, excluding: str | None = None) -> int:
    """Bytes of knowledge the workspace stores (sources not ``failed``), optionally minus one source."""
    query = select(func.coalesce(func.sum(KnowledgeSource.size_bytes), 0)).where(
        KnowledgeSource.workspace_id == workspace_id, col(KnowledgeSource.status) != "failed"
    )
    if excluding is not None:
        query = query.where(col(KnowledgeSource.id) != excluding)
    return int(session.exec(query).one())


def size_text(size: int) -> str:
    """``"812 B"``, ``"14 kB"``, ``"12.3 MB"``, ``"500 MB"`` (decimal units, as the quota is set)."""
    if size < 1000:
        return f"{size} B"
    if size < 100_000:
        return f"{size / 1000:.0f} kB"
    return f"{size / 1_000_000:.1f}".removesuffix(".0") + " MB"


def refusal(used: int, adding: int, what: str) -> str | None:
    """The message refusing ``adding`` more bytes on top of ``used``, or None when it fits.

    Args:
        used: Bytes the workspace stores now.
        adding: Bytes of the new source (0 for a URL not fetched yet: refused only when full).
        what: What is added, for the message ("this file", "this text", "this page").
    """
    quota = quota_bytes()
    if used + adding <= quota and (adding or used < quota):
        return None
    head = f"Storage quota reached: this workspace uses {size_text(used)} of its {size_text(quota)}"
    if adding:
        return f"{head}; {what} ({size_text(adding)}) would exceed it. Remove some knowledge sources first."
    return f"{head}. Remove some knowledge sources first."
