"""Shared column helpers: ids, timestamps and vault-encrypted columns."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime

from sqlalchemy import Column, Text


def new_id() -> str:
    """Return a new random primary key: 32 lowercase hex characters (UUID4)."""
    return uuid.uuid4().hex


def utcnow() -> datetime:
    """Current time as an aware UTC ``datetime`` (SQLModel's ``UTCDateTime`` stores it portably)."""
    return datetime.now(UTC)


VAULT_ENCRYPTED = "vault_encrypted"
"""Key in a column's ``info`` marking a vault token column (see :func:`encrypted_column`)."""


def encrypted_column() -> Column[str]:
    """A nullable text column holding a vault token (``backend.security.vault``).

    Every such column must be listed in ``backend.security.encrypted.ENCRYPTED_COLUMNS`` so master
    key rotation and the start-up key check cover it; a unit test fails if one is missing.
    """
    return Column(Text, nullable=True, info={VAULT_ENCRYPTED: True})
