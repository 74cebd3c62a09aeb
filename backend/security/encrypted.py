"""Every vault-encrypted column, with how its associated data is built.

Master-key rotation (``backend.connections.rotation``) and the start-up key check
(``backend.security.keycheck``) walk :data:`ENCRYPTED_COLUMNS`. A column holding vault tokens is
declared with ``backend.models.common.encrypted_column()`` (a marker in the column's ``info``);
``tests/unit/backend/security/test_encrypted.py`` fails when a marked column, or a column
assigned ``vault.encrypt(...)`` anywhere in ``backend/``, is missing here.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from sqlmodel import SQLModel

from backend.models import Connection, CustomTool, OIDCFlow, UserTwoFactor
from backend.security.vault import record_ad


@dataclass(frozen=True)
class EncryptedColumn:
    """One column of vault tokens.

    Attributes:
        model: The SQLModel table class, e.g. ``Connection``.
        column: The attribute holding the token (nullable text), e.g. ``"secret"``.
        associated_data: ``row -> str``: the associated data the token was made with (the
            same function the owning service encrypts with).
    """

    model: type[SQLModel]
    column: str
    associated_data: Callable[[Any], str]

    @property
    def name(self) -> str:
        """``"<table>.<column>"``, e.g. ``"connections.secret"`` (for messages)."""
        return f"{self.model.__tablename__}.{self.column}"  # type: ignore[attr-defined]


ENCRYPTED_COLUMNS: tuple[EncryptedColumn, ...] = (
    EncryptedColumn(Connection, "secret", lambda row: record_ad(row.workspace_id, row.id)),
    EncryptedColumn(CustomTool, "secret", lambda row: record_ad(row.workspace_id, row.id)),
    EncryptedColumn(OIDCFlow, "data", lambda row: f"oidc-flow:{row.id}"),
    EncryptedColumn(UserTwoFactor, "secret", lambda row: f"totp:{row.user_id}"),
)
