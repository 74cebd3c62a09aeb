"""Invitations to a workspace and the append-only audit trail (issue 16)."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Column, Index, Text
from sqlmodel import Field, SQLModel

from backend.models.common import new_id, utcnow


class Invitation(SQLModel, table=True):
    """An invitation to join a workspace with a role, sent to one email address.

    The link carries a random token; only its SHA-256 (``token_hash``) is stored. An invitation
    is usable once (``accepted_at``), until ``expires_at``, unless ``revoked_at``.
    """

    __tablename__ = "invitations"

    id: str = Field(default_factory=new_id, primary_key=True, max_length=32)
    workspace_id: str = Field(foreign_key="workspaces.id", index=True, max_length=32)
    email: str = Field(max_length=254)
    role: str = Field(max_length=20)
    token_hash: str = Field(index=True, unique=True, max_length=64)
    invited_by: str = Field(foreign_key="users.id", max_length=32)
    created_at: datetime = Field(default_factory=utcnow)
    expires_at: datetime
    accepted_at: datetime | None = None
    accepted_by: str | None = Field(default=None, foreign_key="users.id", max_length=32)
    revoked_at: datetime | None = None
    # "email" (SMTP configured: the link was e-mailed too) or "link" (the inviter copies the link).
    delivery: str = Field(default="link", max_length=10)


class AuditEvent(SQLModel, table=True):
    """Who did what and when in a workspace. Rows are only ever inserted (a trigger
    refuses UPDATE and DELETE); ``details`` never holds a secret."""

    __tablename__ = "audit_events"
    __table_args__ = (Index("ix_audit_events_workspace_created", "workspace_id", "created_at"),)

    id: str = Field(default_factory=new_id, primary_key=True, max_length=32)
    workspace_id: str = Field(max_length=32)  # no foreign key: the trail outlives what it names
    actor_user_id: str = Field(max_length=32)
    actor_email: str = Field(max_length=254)  # as it was when the event happened
    action: str = Field(max_length=60)  # e.g. "member.invited", "connection.updated"
    target_kind: str = Field(default="", max_length=30)
    target_id: str = Field(default="", max_length=64)
    summary: str = Field(default="", sa_column=Column(Text, nullable=False, default=""))
    created_at: datetime = Field(default_factory=utcnow, index=True)


class WorkspacePublic(SQLModel):
    """A workspace as its members see it in the switcher and the team page."""

    id: str
    name: str
    role: str
    personal: bool
