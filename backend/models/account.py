"""Users, workspaces, memberships and sign-in sessions."""

from __future__ import annotations

from datetime import datetime

from sqlmodel import Field, SQLModel

from backend.models.common import new_id, utcnow


class User(SQLModel, table=True):
    """A person who signs in with email + password (argon2id hash, never the password)."""

    __tablename__ = "users"

    id: str = Field(default_factory=new_id, primary_key=True, max_length=32)
    email: str = Field(index=True, unique=True, max_length=254)
    password_hash: str = Field(max_length=255)
    created_at: datetime = Field(default_factory=utcnow)
    # May suspend marketplace listings and work the report queue (``agenthub make-admin EMAIL``).
    is_platform_admin: bool = False


class Workspace(SQLModel, table=True):
    """A tenant. Every connection, agent, conversation and run belongs to exactly one."""

    __tablename__ = "workspaces"

    id: str = Field(default_factory=new_id, primary_key=True, max_length=32)
    name: str = Field(max_length=120)
    owner_id: str = Field(foreign_key="users.id", index=True, max_length=32)
    personal: bool = True
    created_at: datetime = Field(default_factory=utcnow)
    # Set when its owner deleted it: no one is a member any more and nothing of it is shown.
    deleted_at: datetime | None = None
    # Members must sign in with a second factor (TOTP) to work here (``workspace.security``).
    require_two_factor: bool = False


class Membership(SQLModel, table=True):
    """A user's role in a workspace (``owner``, ``admin``, ``builder`` or ``viewer``, see
    ``backend.accounts.permissions``)."""

    __tablename__ = "memberships"

    workspace_id: str = Field(foreign_key="workspaces.id", primary_key=True, max_length=32)
    user_id: str = Field(foreign_key="users.id", primary_key=True, max_length=32)
    role: str = Field(default="owner", max_length=20)
    created_at: datetime = Field(default_factory=utcnow)


class AuthSession(SQLModel, table=True):
    """A sign-in session. The browser keeps a random token; only its SHA-256 hash is stored."""

    __tablename__ = "auth_sessions"

    id: str = Field(default_factory=new_id, primary_key=True, max_length=32)
    token_hash: str = Field(index=True, unique=True, max_length=64)
    user_id: str = Field(foreign_key="users.id", index=True, max_length=32)
    created_at: datetime = Field(default_factory=utcnow)
    expires_at: datetime
    revoked_at: datetime | None = None
    # Last use, renewed at most once a minute; idle longer than ``session_idle_hours`` ends it.
    last_seen_at: datetime | None = None
    # The workspace this browser is working in (the switcher changes it; None: the user's first).
    workspace_id: str | None = Field(default=None, index=True, max_length=32)


class LoginTicket(SQLModel, table=True):
    """A single-use, 60-second hand-over of a new session from a sign-in form to the browser.

    The form handler (on the websocket) issues it; ``POST /api/auth/session`` redeems it once,
    rotates the session's token and sets it as an HttpOnly cookie. Only the SHA-256 is stored.
    """

    __tablename__ = "login_tickets"

    id: str = Field(default_factory=new_id, primary_key=True, max_length=32)
    ticket_hash: str = Field(index=True, unique=True, max_length=64)
    auth_session_id: str = Field(foreign_key="auth_sessions.id", index=True, max_length=32)
    expires_at: datetime
    used_at: datetime | None = None


class UserPublic(SQLModel):
    """What the UI may know about the signed-in user."""

    id: str
    email: str
    workspace_id: str
    workspace_name: str
    role: str = "owner"  # in that workspace (``backend.accounts.permissions.ROLES``)
