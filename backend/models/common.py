"""Shared column helpers: ids and timestamps."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime


def new_id() -> str:
    """Return a new random primary key: 32 lowercase hex characters (UUID4)."""
    return uuid.uuid4().hex


def utcnow() -> datetime:
    """Current time as an aware UTC ``datetime`` (SQLModel's ``UTCDateTime`` stores it portably)."""
    return datetime.now(UTC)
