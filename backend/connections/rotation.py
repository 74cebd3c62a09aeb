"""Master-key rotation: re-wrap every stored connection secret under the key ring's current key."""

from __future__ import annotations

from sqlmodel import Session, col, select

from backend.models import Connection
from backend.security.vault import Vault


def rotate_connection_secrets(*, vault: Vault, session: Session, batch_size: int = 200) -> int:
    """Re-wrap secrets made under older master keys (the ciphertext of the key is unchanged).

    Run after putting a new key first in ``AGENTHUB_MASTER_KEYS`` (keep the old one after it
    until this finishes). Safe to run again: up-to-date secrets are skipped.

    Returns:
        The number of connections re-wrapped.

    Raises:
        VaultError: a secret cannot be decrypted with any key of the ring (nothing is changed
            for that row; the transaction of the caller decides about the others).
    """
    rotated = 0
    rows = session.exec(
        select(Connection).where(col(Connection.secret).is_not(None)).execution_options(yield_per=batch_size)
    )
    for row in rows:
        assert row.secret is not None  # noqa: S101  (filtered above)
        if vault.needs_rotation(row.secret):
            row.secret = vault.rotate(row.secret, associated_data=f"{row.workspace_id}:{row.id}")
            session.add(row)
            rotated += 1
    session.flush()
    return rotated
