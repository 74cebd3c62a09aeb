"""Start-up check that the master key ring can decrypt what is stored.

Without it a wrong or incomplete ``AGENTHUB_MASTER_KEYS`` is noticed only when a user's first
model call fails to decrypt its key. The app (``dashboard/app.py``) and ``agenthub worker`` call
:func:`check_stored_secrets` at start and refuse to run when it raises.
"""

from __future__ import annotations

from sqlmodel import Session, col, select

from backend.db import session_scope
from backend.security.encrypted import ENCRYPTED_COLUMNS, EncryptedColumn
from backend.security.vault import Vault, VaultError

SAMPLE_ROWS = 3
"""Rows checked per encrypted column at each end (oldest and newest)."""


class KeyRingMismatch(VaultError):
    """The key ring cannot decrypt a stored secret; the message says which key id and column."""


def _key_id(token: str) -> str:
    parts = token.split(".")
    return parts[1] if len(parts) == 5 else "?"


def _sample(spec: EncryptedColumn, session: Session, rows: int) -> list[object]:
    column = col(getattr(spec.model, spec.column))
    created = col(spec.model.created_at)  # type: ignore[attr-defined]
    base = select(spec.model).where(column.is_not(None))
    newest = session.exec(base.order_by(created.desc()).limit(rows)).all()
    oldest = session.exec(base.order_by(created.asc()).limit(rows)).all()
    seen: dict[object, object] = {}
    for row in (*newest, *oldest):
        seen.setdefault(row.id, row)  # type: ignore[attr-defined]
    return list(seen.values())


def _problem(spec: EncryptedColumn, key_id: str, vault: Vault) -> str:
    if key_id not in vault.key_ids:
        return (
            f"Stored secrets ({spec.name}) are encrypted under master key id {key_id!r}, which "
            f"AGENTHUB_MASTER_KEYS does not contain (it has {', '.join(map(repr, vault.key_ids))}). "
            f"Add the {key_id!r} entry back (after the current key), run `agenthub rotate-master-key`, "
            "and remove it only then."
        )
    return (
        f"The master key with id {key_id!r} in AGENTHUB_MASTER_KEYS does not decrypt stored secrets "
        f"({spec.name}): its key value differs from the one they were encrypted with. Restore the "
        "original value of that entry."
    )


def check_stored_secrets(vault: Vault, *, rows: int = SAMPLE_ROWS) -> int:
    """Decrypt a sample of every encrypted column (its oldest and newest ``rows`` rows).

    Args:
        vault: The process's vault (``backend.security.keys.get_vault()``).
        rows: Rows per column at each end of ``created_at`` order.

    Returns:
        How many stored secrets were decrypted (0 on an empty database).

    Raises:
        KeyRingMismatch: one could not be decrypted; the message names ``AGENTHUB_MASTER_KEYS``,
            the missing (or wrong) key id and the column, never a key or a secret.
    """
    checked = 0
    with session_scope() as session:
        for spec in ENCRYPTED_COLUMNS:
            for row in _sample(spec, session, rows):
                token = getattr(row, spec.column)
                try:
                    vault.decrypt(token, associated_data=spec.associated_data(row))
                except VaultError:
                    raise KeyRingMismatch(_problem(spec, _key_id(token), vault)) from None
                checked += 1
    return checked
