"""Provider sign-ins under way, kept server-side until their callback takes them once.

The browser gets only a random handle (an HttpOnly cookie); the row is keyed by the handle's
SHA-256 and holds the :class:`backend.accounts.oidc.Flow` vault-encrypted (associated data
``"oidc-flow:<row id>"``). Taking a flow deletes it, so a callback cannot be replayed.
Database work: call from a thread.
"""

from __future__ import annotations

import json
import secrets
from datetime import timedelta

from sqlalchemy import delete
from sqlmodel import Session, col

from backend.accounts.oidc import FLOW_TTL_S, Flow
from backend.models import OIDCFlow
from backend.models.common import utcnow
from backend.security.keys import get_vault
from backend.security.sessions import hash_token
from backend.security.vault import VaultError


def flow_ad(row_id: str) -> str:
    """The associated data a flow row is encrypted with."""
    return f"oidc-flow:{row_id}"


def save(flow: Flow, *, session: Session) -> str:
    """Store ``flow`` for ``FLOW_TTL_S`` (10 minutes); returns the handle for the cookie.

    Expired flows are deleted on the way.
    """
    session.execute(delete(OIDCFlow).where(col(OIDCFlow.expires_at) < utcnow()))
    handle = secrets.token_urlsafe(32)
    row_id = hash_token(handle)
    session.add(
        OIDCFlow(
            id=row_id,
            data=get_vault().encrypt(json.dumps(flow.to_dict()), associated_data=flow_ad(row_id)),
            expires_at=utcnow() + timedelta(seconds=FLOW_TTL_S),
        )
    )
    session.flush()
    return handle


def take(handle: str, *, session: Session) -> Flow | None:
    """The flow of ``handle``, deleted as it is read; ``None`` when unknown, taken or expired."""
    if not handle or len(handle) > 128:
        return None
    row = session.get(OIDCFlow, hash_token(handle))
    if row is None:
        return None
    claimed = session.execute(delete(OIDCFlow).where(col(OIDCFlow.id) == row.id))
    if not claimed.rowcount or row.expires_at <= utcnow() or not row.data:  # type: ignore[attr-defined]
        return None
    try:
        return Flow(**json.loads(get_vault().decrypt(row.data, associated_data=flow_ad(row.id))))
    except (VaultError, ValueError, TypeError):
        return None
