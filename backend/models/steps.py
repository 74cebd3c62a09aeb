"""Steps of agent runs: one row per tool call the loop handled (issue 4), shown in the chat."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Column, Index, Text
from sqlmodel import Field, SQLModel

from backend.models.common import new_id, utcnow

STEP_STATUSES = ("running", "ok", "error", "denied", "timeout", "awaiting_approval", "approved", "rejected")
"""``RunStep.status``: ``running`` while the tool runs; ``awaiting_approval`` while the run waits
for the user; ``approved``/``rejected`` once they decided (``approved`` becomes the tool's outcome
when it has run)."""


class RunStep(SQLModel, table=True):
    """One tool call of a run (delegated runs' calls included, nested by ``parent_step_id``).

    ``position`` orders the steps of a run in execution order (delegated steps interleaved);
    ``depth`` is 0 for the agent's own calls and 1..3 inside delegated runs. ``arguments`` is the
    redacted JSON text of the arguments; ``output_preview`` <= 2,000 characters; ``summary``
    <= 300; ``duration_ms`` milliseconds.
    """

    __tablename__ = "run_steps"
    __table_args__ = (Index("ix_run_steps_run_position", "run_id", "position"),)

    id: str = Field(default_factory=new_id, primary_key=True, max_length=32)
    run_id: str = Field(foreign_key="runs.id", max_length=32)
    conversation_id: str | None = Field(default=None, index=True, max_length=32)
    position: int = 0
    parent_step_id: str | None = Field(default=None, max_length=32)
    depth: int = 0
    call_id: str = Field(default="", max_length=100)
    tool_name: str = Field(max_length=64)
    title: str = Field(default="", max_length=120)
    arguments: str = Field(default="", sa_column=Column(Text, nullable=False, default=""))
    status: str = Field(default="running", max_length=20)
    summary: str = Field(default="", max_length=300)
    output_preview: str = Field(default="", sa_column=Column(Text, nullable=False, default=""))
    duration_ms: int = 0
    created_at: datetime = Field(default_factory=utcnow)


class StepPublic(SQLModel):
    """A step as the chat shows it (a collapsible row under its assistant message)."""

    step_id: str
    parent_step_id: str | None
    depth: int
    tool_name: str
    title: str
    arguments: str
    status: str
    summary: str
    output_preview: str
    duration_ms: int
