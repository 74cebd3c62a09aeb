"""Provider sign-ins under way, kept server-side until the next step takes them once.

Two kinds of rows in ``oidc_flows``, each keyed by the SHA-256 of a random handle the browser
holds in an HttpOnly cookie, vault-encrypted, deleted when taken (so nothing can be replayed):

- a started sign-in, the :class:`backend.accounts.oidc.Flow` (associated data
  ``"oidc-flow:<row id>"``), taken by the provider's callback (:func:`save`, :func:`take`);
- a verified provider sign-in into an account with two-factor sign-in on, waiting for its
  code (:class:`PendingCode`, associated data ``"oidc-2fa:<row id>"``, 5 minutes), taken by
  the sign-in page's code step (:func:`save_pending_code`, :func:`take_pending_code`). No
  session exists until the code is right.

The associated data keeps one kind's handle from being taken as the other. Database work:
call from a thread.
"""

from __future__ import annotations

import json
import secrets
from collections.abc import Callable
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

from sqlalchemy import delete
from sqlmodel import Session, col

from backend.accounts.oidc import FLOW_TTL_S, Flow
from backend.models import OIDCFlow
from backend.models.common import utcnow
from backend.security.keys import get_vault
from backend.security.sessions import hash_token
from backend.security.vault import VaultError

PENDING_COOKIE = "agenthub_oidc_code"
"""The HttpOnly cookie (path ``/``, so the page's websocket sees it) holding a waiting
sign-in's handle."""
PENDING_CODE_TTL_S = 300
"""Seconds a verified provider sign-in waits for its two-factor code (as the password sign-in)."""


@dataclass(frozen=True)
class PendingCode:
    """A provider sign-in that needs the account's two-factor code before any session opens.

    Attributes:
        user_id: the account the provider's verified identity belongs to.
        next_path: where the sign-in ends once the code is right (a local path).
        seconds_left: how long the code step stays open (at most :data:`PENDING_CODE_TTL_S`).
    """

    user_id: str
    next_path: str
    seconds_left: float = 0.0


def flow_ad(row_id: str) -> str:
    """The associated data a flow row is encrypted with."""
    return f"oidc-flow:{row_id}"


def _pending_ad(row_id: str) -> str:
    return f"oidc-2fa:{row_id}"


def _save(payload: dict[str, Any], ad: Callable[[str], str], ttl_s: int, session: Session) -> str:
    session.execute(delete(OIDCFlow).where(col(OIDCFlow.expires_at) < utcnow()))
    handle = secrets.token_urlsafe(32)
    row_id = hash_token(handle)
    session.add(
        OIDCFlow(
            id=row_id,
            data=get_vault().encrypt(json.dumps(payload), associated_data=ad(row_id)),
            expires_at=utcnow() + timedelta(seconds=ttl_s),
        )
    )
    session.flush()
    return handle


def _take(handle: str, ad: Callable[[str], str], session: Session) -> tuple[dict[str, Any], float] | None:
    """``(payload, seconds left)`` of ``handle``'s row, deleted as it is read, or ``None``."""
    if not handle or len(handle) > 128:
        return None
    row = session.get(OIDCFlow, hash_token(handle))
    if row is None:
        return None
    claimed = session.execute(delete(OIDCFlow).where(col(OIDCFlow.id) == row.id))
    left = (row.expires_at - utcnow()).total_seconds()
    if not claimed.rowcount or left <= 0 or not row.data:  # type: ignore[attr-defined]
        return None
    try:
        payload = json.loads(get_vault().decrypt(row.data, associated_data=ad(row.id)))
    except (VaultError, ValueError, TypeError):
        return None
    return (payload, left) if isinstance(payload, dict) else None


def save(flow: Flow, *, session: Session) -> str:
    """Store ``flow`` for ``FLOW_TTL_S`` (10 minutes); returns the handle for the cookie.

    Expired rows are deleted on the way.
    """
    return _save(flow.to_dict(), flow_ad, FLOW_TTL_S, session)


def take(handle: str, *, session: Session) -> Flow | None:
    """The flow of ``handle``, deleted as it is read; ``None`` when unknown, taken or expired."""
    found = _take(handle, flow_ad, session)
    try:
        return Flow(**found[0]) if found else None
    except TypeError:
        return None


def save_pending_code(*, user_id: str, next_path: str, session: Session) -> str:
    """Keep a verified provider sign-in of ``user_id`` waiting for its two-factor code for
    :data:`PENDING_CODE_TTL_S` (5 minutes); returns the handle for the browser's cookie."""
    return _save({"user_id": user_id, "next_path": next_path}, _pending_ad, PENDING_CODE_TTL_S, session)


def take_pending_code(handle: str, *, session: Session) -> PendingCode | None:
    """The waiting sign-in of ``handle``, deleted as it is read; ``None`` when unknown, taken,
    expired, or the handle of a started flow."""
    found = _take(handle, _pending_ad, session)
    if not found or not isinstance(found[0].get("user_id"), str):
        return None
    payload, left = found
    return PendingCode(
        user_id=payload["user_id"], next_path=str(payload.get("next_path") or "/agents"), seconds_left=left
    )
