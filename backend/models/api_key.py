"""API keys of the developer API (``/api/v1``): stored hashed, named, scoped, expiring, revocable."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import JSON, Column
from sqlmodel import Field, SQLModel

from backend.models.common import new_id, utcnow

API_KEY_SCOPES = ("agent", "workspace", "listing")
"""``agent``: one agent of the workspace; ``workspace``: every agent of it; ``listing``: the
creator's subscription to a marketplace listing (``scope_id`` = the listing id)."""

API_KEY_KINDS = ("secret", "publishable")
"""``secret``: server-side use; ``publishable``: the embed widget, only from ``allowed_origins``."""


class ApiKey(SQLModel, table=True):
    """One API key. The key itself is shown once at creation; only its SHA-256 (``key_hash``,
    64 hex characters) and a display ``prefix`` (e.g. ``ahk_3fA9``) are stored.

    Runs made with the key are the creator's (``created_by``: the end user whose conversations
    they are), charged to the owner workspace of the agent; the key's own rate limit and budget
    are ``rate_limit_rules`` / ``budgets`` rows with scope ``api_key`` and ``scope_id`` = ``id``.
    """

    __tablename__ = "api_keys"

    id: str = Field(default_factory=new_id, primary_key=True, max_length=32)
    workspace_id: str = Field(foreign_key="workspaces.id", index=True, max_length=32)
    created_by: str = Field(foreign_key="users.id", index=True, max_length=32)
    name: str = Field(max_length=80)
    kind: str = Field(default="secret", max_length=12)
    prefix: str = Field(max_length=16)
    key_hash: str = Field(max_length=64, unique=True, index=True)
    scope: str = Field(max_length=20)
    scope_id: str = Field(max_length=64)
    allowed_origins: list[str] = Field(default_factory=list, sa_column=Column(JSON, nullable=False))
    expires_at: datetime | None = None
    revoked_at: datetime | None = None
    last_used_at: datetime | None = None
    created_at: datetime = Field(default_factory=utcnow)
