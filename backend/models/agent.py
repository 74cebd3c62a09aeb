"""Agents, their immutable blueprint versions, and the template gallery."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import JSON, Boolean, Column, Text, UniqueConstraint, false
from sqlmodel import Field, SQLModel

from backend.models.common import new_id, utcnow

MAX_FALLBACKS = 3
"""Most fallback models a blueprint may list (validated by the agents service, applied by the gateway)."""


class Agent(SQLModel, table=True):
    """An agent of a workspace. Its behaviour lives in :class:`BlueprintVersion` rows."""

    __tablename__ = "agents"

    id: str = Field(default_factory=new_id, primary_key=True, max_length=32)
    workspace_id: str = Field(foreign_key="workspaces.id", index=True, max_length=32)
    current_version: int = 1
    created_by: str = Field(foreign_key="users.id", max_length=32)
    created_at: datetime = Field(default_factory=utcnow)
    updated_at: datetime = Field(default_factory=utcnow)
    deleted_at: datetime | None = None


class BlueprintFields(SQLModel):
    """The editable fields of a blueprint (what the builder form holds).

    Units: ``temperature`` 0-2; ``max_tokens`` output tokens (1-32768). ``fallbacks`` lists
    other ``{"connection_id", "model"}`` pairs the gateway tries in order on provider errors.
    """

    name: str = Field(max_length=80)
    description: str = Field(default="", max_length=500)
    avatar: str = Field(default="🤖", max_length=16)
    connection_id: str | None = Field(default=None, max_length=32)
    model: str = Field(default="", max_length=200)
    instructions: str = Field(default="", sa_column=Column(Text, nullable=False, default=""))
    temperature: float = 0.7
    max_tokens: int = 1024
    starters: list[str] = Field(default_factory=list, sa_column=Column(JSON, nullable=False))
    # Fallback models tried in order when the main one fails: [{"connection_id": ..., "model": ...}].
    fallbacks: list[dict[str, str]] = Field(
        default_factory=list, sa_column=Column(JSON, nullable=False, server_default="[]")
    )
    # Tools (issue 4): allowlisted tool names, hosts http_request may call, tools that need approval.
    tools: list[str] = Field(default_factory=list, sa_column=Column(JSON, nullable=False, server_default="[]"))
    allowed_domains: list[str] = Field(
        default_factory=list, sa_column=Column(JSON, nullable=False, server_default="[]")
    )
    approval_tools: list[str] = Field(default_factory=list, sa_column=Column(JSON, nullable=False, server_default="[]"))
    # Delegation (issue 4): ids of other agents of the workspace offered as "ask <agent>" tools.
    delegates: list[str] = Field(default_factory=list, sa_column=Column(JSON, nullable=False, server_default="[]"))
    # Planner mode (issue 15): plan complex requests as steps run by read-only executors.
    plan_complex: bool = Field(default=False, sa_column=Column(Boolean, nullable=False, server_default=false()))


class BlueprintVersion(BlueprintFields, table=True):
    """One immutable saved version (v1, v2, …) of an agent's blueprint."""

    __tablename__ = "blueprint_versions"
    __table_args__ = (UniqueConstraint("agent_id", "version", name="uq_blueprint_agent_version"),)

    id: str = Field(default_factory=new_id, primary_key=True, max_length=32)
    agent_id: str = Field(foreign_key="agents.id", index=True, max_length=32)
    version: int
    note: str = Field(default="", max_length=200)
    created_by: str = Field(foreign_key="users.id", max_length=32)
    created_at: datetime = Field(default_factory=utcnow)


class Template(SQLModel, table=True):
    """A starting point in the template gallery (seeded by migration)."""

    __tablename__ = "templates"

    slug: str = Field(primary_key=True, max_length=60)
    name: str = Field(max_length=80)
    description: str = Field(max_length=500)
    avatar: str = Field(default="🤖", max_length=16)
    category: str = Field(default="General", max_length=40)
    instructions: str = Field(sa_column=Column(Text, nullable=False))
    temperature: float = 0.7
    max_tokens: int = 1024
    starters: list[str] = Field(default_factory=list, sa_column=Column(JSON, nullable=False))
    # An example exchange (markdown) shown in the template picker.
    sample_answer: str = Field(default="", sa_column=Column(Text, nullable=False, server_default=""))


class AgentSummary(SQLModel):
    """A row of the agent list."""

    id: str
    name: str
    description: str
    avatar: str
    model: str
    current_version: int
    updated_at: datetime
