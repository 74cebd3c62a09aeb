"""Provider connections: an LLM provider, its (encrypted) key and what a test found."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import JSON, Column, Text
from sqlmodel import Field, SQLModel

from backend.models.common import encrypted_column, new_id, utcnow


class Connection(SQLModel, table=True):
    """A workspace's connection to one LLM provider.

    ``secret`` holds the vault token (``v1.<key id>.<nonce>.<wrapped key>.<ciphertext>``),
    bound to ``workspace_id:id`` as associated data; never plaintext.
    """

    __tablename__ = "connections"

    id: str = Field(default_factory=new_id, primary_key=True, max_length=32)
    workspace_id: str = Field(foreign_key="workspaces.id", index=True, max_length=32)
    name: str = Field(max_length=80)
    provider: str = Field(max_length=40)
    base_url: str | None = Field(default=None, max_length=500)
    secret: str | None = Field(default=None, sa_column=encrypted_column())
    key_hint: str = Field(default="", max_length=40)
    status: str = Field(default="untested", max_length=20)
    status_message: str = Field(default="", sa_column=Column(Text, nullable=False, default=""))
    models: list[str] = Field(default_factory=list, sa_column=Column(JSON, nullable=False))
    last_checked_at: datetime | None = None
    created_at: datetime = Field(default_factory=utcnow)
    updated_at: datetime = Field(default_factory=utcnow)


class ConnectionPublic(SQLModel):
    """A connection as the UI sees it: the key only as a masked hint."""

    id: str
    name: str
    provider: str
    provider_label: str
    base_url: str | None
    key_hint: str
    status: str
    status_message: str
    models: list[str]
    last_checked_at: datetime | None
