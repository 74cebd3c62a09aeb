"""Conversations, their messages, and runs (one model call each, with tokens and cost)."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, BigInteger, Column, Text
from sqlmodel import Field, SQLModel

from backend.models.common import new_id, utcnow


class Conversation(SQLModel, table=True):
    """A chat between one user and one agent, pinned to the blueprint version it started on."""

    __tablename__ = "conversations"

    id: str = Field(default_factory=new_id, primary_key=True, max_length=32)
    workspace_id: str = Field(foreign_key="workspaces.id", index=True, max_length=32)
    agent_id: str = Field(foreign_key="agents.id", index=True, max_length=32)
    user_id: str = Field(foreign_key="users.id", index=True, max_length=32)
    blueprint_version_id: str = Field(foreign_key="blueprint_versions.id", max_length=32)
    model: str = Field(default="", max_length=200)
    title: str = Field(default="New conversation", max_length=120)
    created_at: datetime = Field(default_factory=utcnow)
    updated_at: datetime = Field(default_factory=utcnow)


class Message(SQLModel, table=True):
    """One message (``user`` or ``assistant``) at ``position`` in its conversation."""

    __tablename__ = "messages"

    id: str = Field(default_factory=new_id, primary_key=True, max_length=32)
    conversation_id: str = Field(foreign_key="conversations.id", index=True, max_length=32)
    position: int
    role: str = Field(max_length=20)
    content: str = Field(default="", sa_column=Column(Text, nullable=False, default=""))
    run_id: str | None = Field(default=None, max_length=32)
    created_at: datetime = Field(default_factory=utcnow)


class Run(SQLModel, table=True):
    """One agent run: its model calls' tokens, cost (nano-USD), latency (ms) and outcome.

    ``status`` is ``running``, ``succeeded``, ``failed``, ``cancelled`` or ``awaiting_approval``
    (paused on a tool that needs the user's approval; ``resume_state`` then holds the pending
    model messages and calls, never secrets). Tokens and cost are the sum of the run's usage
    records (delegated runs' calls included), written by the transaction that finishes the run
    (``backend.gateway.usage.run_totals``).
    """

    __tablename__ = "runs"

    id: str = Field(default_factory=new_id, primary_key=True, max_length=32)
    workspace_id: str = Field(foreign_key="workspaces.id", index=True, max_length=32)
    agent_id: str = Field(foreign_key="agents.id", index=True, max_length=32)
    user_id: str = Field(foreign_key="users.id", max_length=32)
    conversation_id: str | None = Field(default=None, foreign_key="conversations.id", max_length=32)
    blueprint_version_id: str = Field(foreign_key="blueprint_versions.id", max_length=32)
    connection_id: str | None = Field(default=None, max_length=32)
    provider: str = Field(default="", max_length=40)
    model: str = Field(default="", max_length=200)
    status: str = Field(default="running", max_length=20, index=True)
    prompt_tokens: int = 0
    completion_tokens: int = 0
    cost_nano_usd: int = Field(default=0, sa_column=Column(BigInteger, nullable=False, default=0))
    cost_note: str = Field(default="", max_length=300)
    latency_ms: int | None = None
    ttft_ms: int | None = None
    error: str = Field(default="", sa_column=Column(Text, nullable=False, default=""))
    created_at: datetime = Field(default_factory=utcnow, index=True)
    finished_at: datetime | None = None
    # Candidates the gateway tried (see ``UsageRecord.fallback_path``); ``model`` is the one that answered.
    fallback_path: list[dict[str, Any]] = Field(
        default_factory=list, sa_column=Column(JSON, nullable=False, server_default="[]")
    )
    resume_state: dict[str, Any] | None = Field(default=None, sa_column=Column(JSON, nullable=True))
    # Crash safety (``backend.runtime.checkpoint``, ``backend.runtime.sweep``): the last sign of
    # life of a ``running`` run, the answer streamed so far and the gateway call in flight
    # (``{"record_id", "connection_id", "provider", "model", "prompt_tokens", "completion_tokens",
    # ...}``, tokens so far); cleared when the run finishes.
    heartbeat_at: datetime | None = None
    partial_text: str = Field(default="", sa_column=Column(Text, nullable=False, server_default=""))
    inflight: dict[str, Any] | None = Field(default=None, sa_column=Column(JSON, nullable=True))
