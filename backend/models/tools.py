"""Agent tools: the audit log of every tool call, workspace tasks and notes, in-app notifications
and custom HTTP tools defined without code.

Tasks and notes belong to a workspace (every member sees them); notifications belong to one user
in one workspace. A custom tool's auth header value is a vault token (associated data
``"<workspace id>:<tool id>"``); only ``secret_hint`` leaves the backend.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, Column, Index, Text, UniqueConstraint
from sqlmodel import Field, SQLModel

from backend.models.common import encrypted_column, new_id, utcnow

TOOL_STATUSES = ("ok", "error", "denied", "timeout")
"""Outcomes of one tool call (``ToolAudit.status``)."""

TASK_STATUSES = ("open", "done")


class ToolAudit(SQLModel, table=True):
    """One tool call an agent made, whatever happened (executed, refused, failed, timed out).

    ``arguments`` are the model's arguments with secrets redacted (a JSON object, or
    ``{"_raw": "..."}`` when they were not valid JSON); ``summary`` is <= 300 characters;
    ``duration_ms`` is milliseconds from dispatch to result.
    """

    __tablename__ = "tool_audit"
    __table_args__ = (Index("ix_tool_audit_agent_created", "agent_id", "created_at"),)

    id: str = Field(default_factory=new_id, primary_key=True, max_length=32)
    workspace_id: str = Field(foreign_key="workspaces.id", index=True, max_length=32)
    agent_id: str = Field(max_length=32)
    run_id: str | None = Field(default=None, index=True, max_length=32)
    user_id: str = Field(max_length=32)
    call_id: str = Field(default="", max_length=100)
    tool_name: str = Field(max_length=64)
    tool_version: str = Field(default="", max_length=20)
    arguments: dict[str, Any] = Field(default_factory=dict, sa_column=Column(JSON, nullable=False))
    status: str = Field(max_length=10)
    summary: str = Field(default="", max_length=300)
    error: str = Field(default="", sa_column=Column(Text, nullable=False, default=""))
    duration_ms: int = 0
    created_at: datetime = Field(default_factory=utcnow)


class ToolAuditPublic(SQLModel):
    """A row of an agent's audit view."""

    id: str
    run_id: str | None
    user_id: str
    tool_name: str
    tool_version: str
    arguments: dict[str, Any]
    status: str
    summary: str
    error: str
    duration_ms: int
    created_at: datetime


class Task(SQLModel, table=True):
    """A to-do of a workspace (Tasks page); ``status`` is ``open`` or ``done``.

    ``agent_id``/``run_id`` are set when an agent filed it through ``create_task``.
    """

    __tablename__ = "tasks"
    __table_args__ = (Index("ix_tasks_workspace_status", "workspace_id", "status"),)

    id: str = Field(default_factory=new_id, primary_key=True, max_length=32)
    workspace_id: str = Field(foreign_key="workspaces.id", max_length=32)
    title: str = Field(max_length=200)
    details: str = Field(default="", sa_column=Column(Text, nullable=False, default=""))
    due_date: str | None = Field(default=None, max_length=10)
    status: str = Field(default="open", max_length=10)
    created_by: str = Field(foreign_key="users.id", max_length=32)
    agent_id: str | None = Field(default=None, max_length=32)
    run_id: str | None = Field(default=None, max_length=32)
    created_at: datetime = Field(default_factory=utcnow)
    completed_at: datetime | None = None


class TaskPublic(SQLModel):
    """A task as the Tasks page and the tools show it (``due_date`` ISO ``YYYY-MM-DD``)."""

    id: str
    title: str
    details: str
    due_date: str | None
    status: str
    agent_id: str | None
    created_at: datetime
    completed_at: datetime | None


class Note(SQLModel, table=True):
    """A note of a workspace, written by a person or by an agent through ``create_note``."""

    __tablename__ = "notes"

    id: str = Field(default_factory=new_id, primary_key=True, max_length=32)
    workspace_id: str = Field(foreign_key="workspaces.id", index=True, max_length=32)
    title: str = Field(max_length=200)
    body: str = Field(default="", sa_column=Column(Text, nullable=False, default=""))
    created_by: str = Field(foreign_key="users.id", max_length=32)
    agent_id: str | None = Field(default=None, max_length=32)
    created_at: datetime = Field(default_factory=utcnow)


class NotePublic(SQLModel):
    """A note as the tools and pages show it."""

    id: str
    title: str
    body: str
    agent_id: str | None
    created_at: datetime


class Notification(SQLModel, table=True):
    """An in-app notification for one user (the bell); ``read_at`` is None while unread.

    ``emailed`` is True when a copy went out through SMTP.
    """

    __tablename__ = "notifications"
    __table_args__ = (Index("ix_notifications_user_created", "user_id", "workspace_id", "created_at"),)

    id: str = Field(default_factory=new_id, primary_key=True, max_length=32)
    workspace_id: str = Field(foreign_key="workspaces.id", max_length=32)
    user_id: str = Field(foreign_key="users.id", max_length=32)
    title: str = Field(max_length=200)
    body: str = Field(default="", sa_column=Column(Text, nullable=False, default=""))
    agent_id: str | None = Field(default=None, max_length=32)
    emailed: bool = False
    created_at: datetime = Field(default_factory=utcnow)
    read_at: datetime | None = None


class NotificationPublic(SQLModel):
    """A notification as the bell shows it."""

    id: str
    title: str
    body: str
    agent_id: str | None
    emailed: bool
    created_at: datetime
    read_at: datetime | None


class CustomTool(SQLModel, table=True):
    """An HTTP tool a builder defined from a form or an OpenAPI operation.

    ``parameters`` is a list of ``{"name", "type", "description", "required", "location"}``
    (type ``string|integer|number|boolean``; location ``path|query|header|body``);
    ``body_schema`` is an optional JSON schema for a whole JSON request body (OpenAPI
    ``requestBody``), passed by the model as the ``body`` argument. ``secret`` is the vault token
    of the ``auth_header`` value; ``version`` counts saves.
    """

    __tablename__ = "custom_tools"
    __table_args__ = (UniqueConstraint("workspace_id", "name", name="uq_custom_tool_name"),)

    id: str = Field(default_factory=new_id, primary_key=True, max_length=32)
    workspace_id: str = Field(foreign_key="workspaces.id", index=True, max_length=32)
    name: str = Field(max_length=64)
    description: str = Field(default="", max_length=1000)
    method: str = Field(default="GET", max_length=10)
    url_template: str = Field(max_length=2000)
    parameters: list[dict[str, Any]] = Field(default_factory=list, sa_column=Column(JSON, nullable=False))
    body_schema: dict[str, Any] | None = Field(default=None, sa_column=Column(JSON, nullable=True))
    auth_header: str = Field(default="", max_length=100)
    secret: str | None = Field(default=None, sa_column=encrypted_column())
    secret_hint: str = Field(default="", max_length=40)
    version: int = 1
    created_by: str = Field(foreign_key="users.id", max_length=32)
    created_at: datetime = Field(default_factory=utcnow)
    updated_at: datetime = Field(default_factory=utcnow)


class CustomToolParameter(SQLModel):
    """One typed parameter of a custom tool (see :class:`CustomTool`)."""

    name: str
    type: str = "string"
    description: str = ""
    required: bool = False
    location: str = ""


class CustomToolCreate(SQLModel):
    """The custom-tool form. ``auth_secret``: None keeps the stored value on edit."""

    name: str
    description: str = ""
    method: str = "GET"
    url_template: str
    parameters: list[CustomToolParameter] = Field(default_factory=list)
    body_schema: dict[str, Any] | None = None
    auth_header: str = ""
    auth_secret: str | None = Field(default=None, repr=False)


class CustomToolPublic(SQLModel):
    """A custom tool as the builder sees it: the auth value only as a masked hint."""

    id: str
    name: str
    description: str
    method: str
    url_template: str
    parameters: list[dict[str, Any]]
    body_schema: dict[str, Any] | None
    auth_header: str
    secret_hint: str
    has_secret: bool
    version: int
    updated_at: datetime
