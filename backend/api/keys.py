"""API keys of the developer API: create (shown once), list, revoke, and check a presented key.

A key is ``ahk_`` (secret) or ``ahp_`` (publishable, for the embed widget) followed by 43
URL-safe characters (32 random bytes, ``secrets.token_urlsafe``). Only its SHA-256 is stored
(a 256-bit random key needs no slow hash: there is nothing to guess); lookups are by that hash.

Scopes (``backend.models.api_key.API_KEY_SCOPES``): one agent of the workspace, every agent of
it, or the creator's subscription to a listing. Runs made with a key are the creator's (their
conversations, shown in their chat history), the caller is ``Caller("api_key", key id)``, and the
key's own rate limit / monthly budget are gateway rules of scope ``api_key``.

Any member may create keys (their own runs); owners and admins see and may revoke every key of
the workspace, members their own.
"""

from __future__ import annotations

import hashlib
import secrets
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from urllib.parse import urlsplit

from sqlalchemy import update
from sqlmodel import Session, SQLModel, col, select

from backend.accounts import audit, permissions
from backend.accounts.actor import Actor, NotFound, PermissionDenied, require_member
from backend.accounts.roles import is_manager
from backend.errors import FieldErrors
from backend.models import Agent, ApiKey, BlueprintVersion, Budget, Listing, RateLimitRule, Subscription
from backend.models.api_key import API_KEY_KINDS, API_KEY_SCOPES
from backend.models.common import utcnow
from backend.models.gateway import NANO_PER_USD, usd_to_nano_exact

PREFIXES = {"secret": "ahk_", "publishable": "ahp_"}
LAST_USED_EVERY_S = 60  # last-used time is written at most once a minute per key
MAX_KEYS_PER_WORKSPACE = 200


class ApiKeyInputError(FieldErrors):
    """Invalid key settings; ``errors`` maps ``name``, ``scope``, ``scope_id``, ``allowed_origins``,
    ``expires_in_days``, ``requests_per_min`` or ``monthly_budget_usd`` to a sentence."""


class KeyRejected(Exception):
    """A presented key is not accepted. ``status`` 401 (missing, unknown, revoked, expired) or
    403 (a publishable key used from an origin it does not allow); ``str(exc)`` says which."""

    def __init__(self, status: int, message: str) -> None:
        super().__init__(message)
        self.status = status


@dataclass
class KeyInput:
    """What the Developers page asks. ``scope_id``: the agent id (scope ``agent``), the listing id
    (``listing``), ignored for ``workspace``. ``allowed_origins``: ``https://site.example`` style
    origins, required for publishable keys. ``expires_in_days``: None = never. ``monthly_budget_usd``:
    a decimal string in USD (e.g. ``"5.00"``), None = no key budget."""

    name: str
    scope: str = "workspace"
    scope_id: str = ""
    kind: str = "secret"
    allowed_origins: list[str] = field(default_factory=list)
    expires_in_days: int | None = None
    requests_per_min: int | None = None
    monthly_budget_usd: str | None = None


class ApiKeyPublic(SQLModel):
    """A key as the Developers page lists it (never the key itself)."""

    id: str
    name: str
    kind: str
    prefix: str
    scope: str
    scope_id: str
    scope_label: str
    allowed_origins: list[str]
    created_by: str
    created_at: datetime
    expires_at: datetime | None
    revoked_at: datetime | None
    last_used_at: datetime | None
    requests_per_min: int | None
    monthly_budget_nano: int | None


@dataclass(frozen=True)
class CreatedKey:
    """A new key: ``secret`` is the full key, returned exactly once (never stored)."""

    key: ApiKeyPublic
    secret: str


@dataclass(frozen=True)
class KeyIdentity:
    """A presented, accepted key, as the API edge sees it (no secret)."""

    id: str
    workspace_id: str
    user_id: str
    kind: str
    scope: str
    scope_id: str


def hash_key(secret: str) -> str:
    """SHA-256 hex of a presented key (64 characters)."""
    return hashlib.sha256(secret.encode("utf-8", "replace")).hexdigest()


def normalize_origin(value: str) -> str | None:
    """``scheme://host[:port]`` of an http(s) origin, lower-case (RFC 6454), or None if not one."""
    parts = urlsplit(value.strip())
    if parts.scheme not in ("http", "https") or not parts.hostname or parts.path not in ("", "/"):
        return None
    if parts.query or parts.fragment or parts.username:
        return None
    port = f":{parts.port}" if parts.port else ""
    return f"{parts.scheme}://{parts.hostname.lower()}{port}"


def _scope_label(key: ApiKey, session: Session) -> str:
    if key.scope == "workspace":
        return "All agents of the workspace"
    if key.scope == "agent":
        agent = session.get(Agent, key.scope_id)
        if agent is None or agent.deleted_at is not None:
            return "Agent (deleted)"
        name = session.exec(
            select(BlueprintVersion.name).where(
                BlueprintVersion.agent_id == agent.id, BlueprintVersion.version == agent.current_version
            )
        ).first()
        return f"Agent: {name or 'unnamed'}"
    listing = session.get(Listing, key.scope_id)
    return f"Subscription: {listing.title}" if listing is not None else "Subscription (gone)"


def _limits(key_id: str, session: Session) -> tuple[int | None, int | None]:
    rpm = session.exec(
        select(RateLimitRule.requests_per_min).where(RateLimitRule.scope == "api_key", RateLimitRule.scope_id == key_id)
    ).first()
    nano = session.exec(
        select(Budget.limit_nano).where(Budget.scope == "api_key", Budget.scope_id == key_id, Budget.period == "month")
    ).first()
    return rpm, nano


def to_public(key: ApiKey, session: Session) -> ApiKeyPublic:
    """The listed view of ``key`` with its scope in words and its own limits."""
    rpm, nano = _limits(key.id, session)
    return ApiKeyPublic(
        **key.model_dump(exclude={"key_hash", "workspace_id"}),
        scope_label=_scope_label(key, session),
        requests_per_min=rpm,
        monthly_budget_nano=nano,
    )


def _check(actor: Actor, data: KeyInput, session: Session) -> tuple[str, list[str], int | None]:
    """Validate ``data``; returns (scope id, normalised origins, budget in nano-USD)."""
    errors: dict[str, str] = {}
    if not data.name.strip() or len(data.name.strip()) > 80:
        errors["name"] = "Name the key (at most 80 characters)."
    if data.kind not in API_KEY_KINDS:
        errors["kind"] = "Choose a secret or a publishable key."
    scope_id = data.scope_id
    if data.scope not in API_KEY_SCOPES:
        errors["scope"] = "Choose one agent, all agents, or a subscription."
    elif data.scope == "workspace" and data.kind == "publishable":
        errors["scope"] = "A publishable key serves one agent or one listing."
    elif data.scope == "workspace":
        scope_id = actor.workspace_id
    elif data.scope == "agent":
        agent = session.get(Agent, scope_id) if scope_id else None
        if agent is None or agent.deleted_at is not None or agent.workspace_id != actor.workspace_id:
            errors["scope_id"] = "Choose one of your workspace's agents."
    elif data.kind == "publishable":  # the workspace's own published listing, under its trial rules
        listing = session.get(Listing, scope_id) if scope_id else None
        if listing is None or listing.workspace_id != actor.workspace_id or listing.status != "published":
            errors["scope_id"] = "Choose one of your workspace's published listings."
    else:
        sub = session.exec(
            select(Subscription).where(
                Subscription.listing_id == scope_id,
                Subscription.user_id == actor.user_id,
                Subscription.status == "active",
            )
        ).first()
        if sub is None:
            errors["scope_id"] = "Choose one of your active subscriptions."
    origins = [normalize_origin(o) for o in data.allowed_origins if o.strip()]
    if any(o is None for o in origins):
        errors["allowed_origins"] = "Origins look like https://www.example.com (no path)."
    elif data.kind == "publishable" and not origins:
        errors["allowed_origins"] = "A publishable key needs at least one website origin."
    if data.expires_in_days is not None and not 1 <= data.expires_in_days <= 3650:
        errors["expires_in_days"] = "Expiry is between 1 and 3,650 days, or never."
    if data.requests_per_min is not None and not 1 <= data.requests_per_min <= 100_000:
        errors["requests_per_min"] = "Requests per minute is between 1 and 100,000."
    nano = None
    if data.monthly_budget_usd not in (None, ""):
        try:
            nano = usd_to_nano_exact(str(data.monthly_budget_usd).strip().lstrip("$"))
        except ValueError:
            errors["monthly_budget_usd"] = "Enter an amount in USD, e.g. 5.00."
        else:
            if not 0 < nano <= 1_000_000 * NANO_PER_USD:
                errors["monthly_budget_usd"] = "Enter an amount above $0, at most $1,000,000."
    if errors:
        raise ApiKeyInputError(errors)
    return scope_id, sorted({o for o in origins if o}), nano


def create_key(*, actor: Actor, data: KeyInput, session: Session) -> CreatedKey:
    """Create a key for the actor (any member); its rate limit and monthly budget are stored as
    gateway rules of scope ``api_key`` in the actor's workspace.

    Raises:
        PermissionDenied: the actor's role may not manage API keys (``api_keys.manage``: viewers).
        ApiKeyInputError: invalid settings (per-field messages), or too many keys.
    """
    permissions.require(actor, permissions.API_KEYS_MANAGE, session)
    scope_id, origins, nano = _check(actor, data, session)
    count = len(session.exec(select(ApiKey.id).where(ApiKey.workspace_id == actor.workspace_id)).all())
    if count >= MAX_KEYS_PER_WORKSPACE:
        raise ApiKeyInputError({"name": f"A workspace has at most {MAX_KEYS_PER_WORKSPACE} keys; delete old ones."})
    secret = PREFIXES[data.kind] + secrets.token_urlsafe(32)
    expires = utcnow() + timedelta(days=data.expires_in_days) if data.expires_in_days else None
    key = ApiKey(
        workspace_id=actor.workspace_id,
        created_by=actor.user_id,
        name=data.name.strip(),
        kind=data.kind,
        prefix=secret[:8],
        key_hash=hash_key(secret),
        scope=data.scope,
        scope_id=scope_id,
        allowed_origins=origins,
        expires_at=expires,
    )
    session.add(key)
    session.flush()
    ws = actor.workspace_id
    if data.requests_per_min:
        session.add(
            RateLimitRule(workspace_id=ws, scope="api_key", scope_id=key.id, requests_per_min=data.requests_per_min)
        )
    if nano:
        session.add(Budget(workspace_id=ws, scope="api_key", scope_id=key.id, period="month", limit_nano=nano))
    session.flush()
    summary = f"Created {data.kind} API key “{key.name}” ({key.prefix}…)"
    audit.record(
        session, actor=actor, action="api_key.created", target_kind="api_key", target_id=key.id, summary=summary
    )
    return CreatedKey(to_public(key, session), secret)


def list_keys(*, actor: Actor, session: Session) -> list[ApiKeyPublic]:
    """The workspace's keys (managers) or the actor's own (members), newest first.

    Raises:
        PermissionDenied: not a member.
    """
    stmt = select(ApiKey).where(ApiKey.workspace_id == actor.workspace_id)
    if not is_manager(actor, session):
        stmt = stmt.where(ApiKey.created_by == actor.user_id)
    return [to_public(k, session) for k in session.exec(stmt.order_by(col(ApiKey.created_at).desc())).all()]


def revoke_key(*, actor: Actor, key_id: str, session: Session) -> ApiKeyPublic:
    """Revoke a key at once (requests with it get 401 from now on); revoking twice is a no-op.

    Raises:
        NotFound: no such key in the workspace.
        PermissionDenied: a viewer, or a builder revoking someone else's key.
    """
    permissions.require(actor, permissions.API_KEYS_MANAGE, session)
    key = session.get(ApiKey, key_id)
    if key is None or key.workspace_id != actor.workspace_id:
        raise NotFound("API key not found.")
    if key.created_by != actor.user_id and not is_manager(actor, session):
        raise PermissionDenied("Only owners and admins may revoke other members' keys.")
    if key.revoked_at is None:
        key.revoked_at = utcnow()
        session.add(key)
        summary = f"Revoked API key “{key.name}” ({key.prefix}…)"
        audit.record(
            session, actor=actor, action="api_key.revoked", target_kind="api_key", target_id=key.id, summary=summary
        )
        session.flush()
    return to_public(key, session)


def authenticate(secret: str | None, origin: str | None, session: Session) -> KeyIdentity:
    """Accept a presented key or raise; records its last-used time (at most once a minute).

    Args:
        secret: The ``Authorization: Bearer`` value (None or "" when missing).
        origin: The request's ``Origin`` header (browsers send it; publishable keys need one of
            theirs).

    Raises:
        KeyRejected: 401 missing / unknown / revoked / expired key, or its creator left the
            workspace; 403 a publishable key from an origin it does not allow.
    """
    if not secret:
        raise KeyRejected(401, "Missing API key: send it as 'Authorization: Bearer <key>'.")
    key = session.exec(select(ApiKey).where(ApiKey.key_hash == hash_key(secret))).first()
    if key is None:
        raise KeyRejected(401, "Incorrect API key provided.")
    now = utcnow()
    if key.revoked_at is not None:
        raise KeyRejected(401, "This API key was revoked.")
    if key.expires_at is not None and key.expires_at <= now:
        raise KeyRejected(401, "This API key has expired.")
    if key.kind == "publishable" and (normalize_origin(origin or "") or "") not in key.allowed_origins:
        raise KeyRejected(403, "This publishable key is not allowed from this website.")
    try:
        require_member(Actor(key.created_by, key.workspace_id), session)
    except PermissionDenied as exc:
        raise KeyRejected(401, "The member who created this API key left the workspace.") from exc
    if key.last_used_at is None or key.last_used_at <= now - timedelta(seconds=LAST_USED_EVERY_S):
        session.exec(  # type: ignore[call-overload]
            update(ApiKey).where(col(ApiKey.id) == key.id).values(last_used_at=now)
        )
    return KeyIdentity(key.id, key.workspace_id, key.created_by, key.kind, key.scope, key.scope_id)
