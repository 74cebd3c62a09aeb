"""Connection manager service: add, list, rename, delete, test and resolve provider connections.

Keys are encrypted with the vault (associated data ``"<workspace id>:<connection id>"``);
only a masked hint leaves this module. Every call takes the :class:`Actor` who is asking.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import cast
from urllib.parse import urlparse

import httpx
import sqlalchemy as sa
from sqlmodel import Session, select

from backend.accounts import audit, permissions
from backend.accounts.actor import Actor, NotFound
from backend.connections.providers import PROVIDERS, get_provider
from backend.db import DbConn, connection_of
from backend.errors import FieldErrors
from backend.models import Connection, ConnectionPublic
from backend.models.common import utcnow
from backend.security.keys import get_vault
from backend.security.outbound import BadURL, validate_url
from backend.security.vault import VaultError as VaultError
from backend.security.vault import mask_secret, record_ad

REENTER_KEY = "Enter the API key again: the address changed"


class ConnectionInputError(FieldErrors):
    """Invalid connection input; ``errors`` maps a form field to its message."""


@dataclass(frozen=True)
class Credentials:
    """Decrypted credentials for one call. Lives only in memory; ``repr`` hides the key."""

    provider: str
    base_url: str | None
    api_key: str | None = field(repr=False)
    connection_id: str = ""


_ad = record_ad  # the vault associated data of a connection's key


def to_public(row: Connection) -> ConnectionPublic:
    """The UI view of a connection (masked key, no secret)."""
    provider = PROVIDERS.get(row.provider)
    return ConnectionPublic(
        id=row.id,
        name=row.name,
        provider=row.provider,
        provider_label=provider.label if provider else row.provider,
        base_url=row.base_url,
        key_hint=row.key_hint,
        status=row.status,
        status_message=row.status_message,
        models=list(row.models or []),
        last_checked_at=row.last_checked_at,
    )


def _validate(name: str, provider_id: str, base_url: str | None, api_key: str | None, has_key: bool) -> None:
    errors: dict[str, str] = {}
    if not name.strip():
        errors["name"] = "Give the connection a name."
    elif len(name.strip()) > 80:
        errors["name"] = "Names are at most 80 characters."
    if provider_id not in PROVIDERS:
        errors["provider"] = "Choose a provider."
    else:
        provider = get_provider(provider_id)
        if provider.needs_base_url and not base_url:
            errors["base_url"] = "Enter the endpoint's base URL, e.g. http://localhost:11434/v1."
        if provider.needs_api_key and not api_key and not has_key:
            errors["api_key"] = f"Enter your {provider.label} API key."
    if base_url:
        parsed = urlparse(base_url)
        if parsed.scheme not in ("http", "https") or not parsed.netloc:
            errors["base_url"] = "The base URL must start with http:// or https://."
        else:
            try:
                validate_url(base_url)
            except BadURL as exc:
                errors["base_url"] = str(exc)
    if api_key and (len(api_key) > 500 or any(c.isspace() for c in api_key)):
        errors["api_key"] = "That does not look like an API key (no spaces, at most 500 characters)."
    if errors:
        raise ConnectionInputError(errors)


def _origin(provider_id: str, base_url: str | None) -> tuple[str, str, int | None] | None:
    """``(scheme, host, port)`` the connection's key is sent to (its base URL or the provider's)."""
    url = base_url or get_provider(provider_id).default_base_url
    if not url:
        return None
    try:
        parsed = httpx.URL(url)
        return parsed.scheme, parsed.host.lower(), parsed.port
    except (httpx.InvalidURL, ValueError):
        return ("", url, None)  # an unreadable stored URL never matches a new one


def _get(
    actor: Actor, connection_id: str, session: Session, action: str = permissions.CONNECTIONS_MANAGE
) -> Connection:
    permissions.require(actor, action, session)
    row = session.get(Connection, connection_id)
    if row is None or row.workspace_id != actor.workspace_id:
        raise NotFound("Connection not found.")
    return row


def list_connections(*, actor: Actor, session: Session) -> list[ConnectionPublic]:
    """All connections of the actor's workspace, by name (never a key). Raises PermissionDenied
    (``connections.view``: viewers do not see connections)."""
    permissions.require(actor, permissions.CONNECTIONS_VIEW, session)
    rows = session.exec(
        select(Connection).where(Connection.workspace_id == actor.workspace_id).order_by(Connection.name)
    ).all()
    return [to_public(r) for r in rows]


def create_connection(
    *, actor: Actor, name: str, provider: str, api_key: str | None, base_url: str | None, session: Session
) -> ConnectionPublic:
    """Add a connection; the key is encrypted before it touches the database.

    Raises:
        ConnectionInputError: missing name/key/base URL or malformed input (per-field messages).
        PermissionDenied: the actor may not manage connections (owners and admins).
    """
    permissions.require(actor, permissions.CONNECTIONS_MANAGE, session)
    api_key = (api_key or "").strip() or None
    base_url = (base_url or "").strip().rstrip("/") or None
    _validate(name, provider, base_url, api_key, has_key=False)
    row = Connection(workspace_id=actor.workspace_id, name=name.strip(), provider=provider, base_url=base_url)
    if api_key:
        row.secret = get_vault().encrypt(api_key, associated_data=_ad(row.workspace_id, row.id))
        row.key_hint = mask_secret(api_key)
    session.add(row)
    session.flush()
    audit.record(
        session,
        actor=actor,
        action="connection.created",
        target_kind="connection",
        target_id=row.id,
        summary=f"Added connection {row.name} ({provider})",
    )
    return to_public(row)


def update_connection(
    *,
    actor: Actor,
    connection_id: str,
    name: str,
    base_url: str | None,
    api_key: str | None,
    session: Session,
) -> ConnectionPublic:
    """Rename or re-point a connection. An empty ``api_key`` keeps the stored key.

    Re-pointing to another origin (scheme, host or port of the base URL, or a custom URL instead
    of the provider's) with a stored key needs the key typed again, so a stored key never
    follows the connection to a new host unasked (security review, issue 9, finding 10).

    Raises:
        ConnectionInputError: bad input, or ``{"api_key": REENTER_KEY}`` when the origin changed
            and no key was typed. NotFound, PermissionDenied.
    """
    row = _get(actor, connection_id, session)
    api_key = (api_key or "").strip() or None
    base_url = (base_url or "").strip().rstrip("/") or None
    _validate(name, row.provider, base_url, api_key, has_key=row.secret is not None)
    if (
        api_key is None
        and row.secret is not None
        and _origin(row.provider, base_url) != _origin(row.provider, row.base_url)
    ):
        # The stored key was issued for the old address; never send it somewhere new unasked.
        raise ConnectionInputError({"api_key": REENTER_KEY})
    changed_target = api_key is not None or base_url != row.base_url
    row.name, row.base_url, row.updated_at = name.strip(), base_url, utcnow()
    if api_key:
        row.secret = get_vault().encrypt(api_key, associated_data=_ad(row.workspace_id, row.id))
        row.key_hint = mask_secret(api_key)
    if changed_target:
        row.status, row.status_message = "untested", ""
    session.add(row)
    session.flush()
    what = ", new key" if api_key else ""
    audit.record(
        session,
        actor=actor,
        action="connection.updated",
        target_kind="connection",
        target_id=row.id,
        summary=f"Updated connection {row.name}{what}",
    )
    return to_public(row)


def delete_connection(*, actor: Actor, connection_id: str, session: Session) -> None:
    """Delete a connection and its encrypted key. Raises NotFound, PermissionDenied."""
    row = _get(actor, connection_id, session)
    audit.record(
        session,
        actor=actor,
        action="connection.deleted",
        target_kind="connection",
        target_id=row.id,
        summary=f"Deleted connection {row.name}",
    )
    session.delete(row)
    session.flush()


def record_check(
    *, actor: Actor, connection_id: str, ok: bool, message: str, models: list[str], session: Session
) -> ConnectionPublic:
    """Store the outcome of a connection test: status ``ok``/``error``, its message and, if ok, the models.

    Raises:
        NotFound, PermissionDenied.
    """
    row = _get(actor, connection_id, session)
    row.status = "ok" if ok else "error"
    row.status_message = message
    if ok:
        row.models = sorted(set(models))
    row.last_checked_at = utcnow()
    session.add(row)
    session.flush()
    return to_public(row)


def resolve_credentials(*, actor: Actor, connection_id: str, session: Session) -> Credentials:
    """Decrypt a connection's key for one call (memory only).

    Raises:
        NotFound, PermissionDenied; ``VaultError`` if the stored secret cannot be decrypted.
    """
    return _credentials(_get(actor, connection_id, session))


def owner_credentials(*, workspace_id: str, connection_id: str, session: DbConn) -> Credentials:
    """Decrypt a connection of the run's **owner** workspace for one gateway call (memory only).

    For the run path only: the run principal was checked at the edge (a member or a grant
    holder), so the caller need not be a member of ``workspace_id``. The key never leaves the
    gateway.

    Raises:
        NotFound: no such connection in ``workspace_id``. ``VaultError``: undecryptable secret.
    """
    # A prebuilt Core statement on the session's connection: this runs on every gateway call,
    # and an ORM ``session.get`` costs ~0.4 ms more CPU per call (benchmarks/gateway_overhead.py).
    row = connection_of(session).execute(_OWNER_CONNECTION, {"id": connection_id, "ws": workspace_id}).first()
    if row is None:
        raise NotFound("Connection not found.")
    return _credentials(cast(Connection, row))


_C = Connection.__table__.c  # type: ignore[attr-defined]
_OWNER_CONNECTION = sa.select(_C.id, _C.workspace_id, _C.provider, _C.base_url, _C.secret).where(
    _C.id == sa.bindparam("id"), _C.workspace_id == sa.bindparam("ws")
)


def _credentials(row: Connection) -> Credentials:
    key = get_vault().decrypt(row.secret, associated_data=_ad(row.workspace_id, row.id)) if row.secret else None
    return Credentials(provider=row.provider, base_url=row.base_url, api_key=key, connection_id=row.id)
