"""Master-key rotation: re-wrap every stored vault token under the key ring's current key.

Covers every column of ``backend.security.encrypted.ENCRYPTED_COLUMNS`` (connection keys,
custom-tool auth values, ...), so the old key can be retired afterwards.
"""

from __future__ import annotations

from sqlmodel import Session, col, select

from backend.security.encrypted import ENCRYPTED_COLUMNS, EncryptedColumn
from backend.security.vault import Vault


def rotate_column(spec: EncryptedColumn, *, vault: Vault, session: Session, batch_size: int = 200) -> int:
    """Re-wrap the tokens of one encrypted column made under older master keys.

    Returns:
        The number of rows re-wrapped.

    Raises:
        VaultError: a token cannot be decrypted with any key of the ring.
    """
    column = col(getattr(spec.model, spec.column))
    rows = session.exec(select(spec.model).where(column.is_not(None)).execution_options(yield_per=batch_size))
    rotated = 0
    for row in rows:
        token = getattr(row, spec.column)
        if token and vault.needs_rotation(token):
            setattr(row, spec.column, vault.rotate(token, associated_data=spec.associated_data(row)))
            session.add(row)
            rotated += 1
    session.flush()
    return rotated


def rotate_all_secrets(*, vault: Vault, session: Session, batch_size: int = 200) -> int:
    """Re-wrap every vault token (all encrypted columns) under the ring's current key.

    Run after putting a new key first in ``AGENTHUB_MASTER_KEYS`` (keep the old one after it
    until this finishes; then it can be removed). Only the wrapped data key changes, the
    ciphertext stays. Safe to run again: up-to-date tokens are skipped.

    Returns:
        The number of tokens re-wrapped, over all columns.

    Raises:
        VaultError: a token cannot be decrypted with any key of the ring (the caller's
            transaction decides about the others; the CLI rolls everything back).
    """
    return sum(rotate_column(spec, vault=vault, session=session, batch_size=batch_size) for spec in ENCRYPTED_COLUMNS)
