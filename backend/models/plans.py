"""Plans of planner-mode runs (issue 15): the ordered steps a planner agent wrote for one request,
with each step's status and result, shown as a checklist in the chat."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import JSON, Column, Index, Text
from sqlmodel import Field, SQLModel

from backend.models.common import new_id, utcnow

PLAN_STATUSES = ("running", "done", "failed", "stopped", "rejected")
"""``Plan.status``: ``running`` while its steps run; ``done`` when every step succeeded; ``failed``
when at least one failed; ``stopped`` when the run ended before the steps did (Stop, crash);
``rejected`` when the model's plan was invalid or too large and the agent answered directly
(``note`` says why; such a plan has no steps)."""

STEP_STATUSES = ("pending", "running", "done", "failed")
"""``PlanStep.status``."""


class Plan(SQLModel, table=True):
    """The plan of one run (at most one per run)."""

    __tablename__ = "plans"

    id: str = Field(default_factory=new_id, primary_key=True, max_length=32)
    run_id: str = Field(foreign_key="runs.id", unique=True, max_length=32)
    conversation_id: str | None = Field(default=None, index=True, max_length=32)
    status: str = Field(default="running", max_length=20)
    note: str = Field(default="", max_length=500)
    created_at: datetime = Field(default_factory=utcnow)


class PlanStep(SQLModel, table=True):
    """One step of a plan: a goal for an executor (the agent itself or an agent it may ask).

    ``agent_id`` is None for the planner itself ("self"); ``agent_name`` is the name shown.
    ``tools`` lists the read-only tools the step may use. ``summary`` <= 2,000 characters (the
    executor's answer, or why the step failed); ``duration_ms`` milliseconds.
    """

    __tablename__ = "plan_steps"
    __table_args__ = (Index("ix_plan_steps_plan_position", "plan_id", "position"),)

    id: str = Field(default_factory=new_id, primary_key=True, max_length=32)
    plan_id: str = Field(foreign_key="plans.id", max_length=32)
    position: int = 0
    goal: str = Field(default="", max_length=500)
    agent_id: str | None = Field(default=None, max_length=32)
    agent_name: str = Field(default="", max_length=80)
    tools: list[str] = Field(default_factory=list, sa_column=Column(JSON, nullable=False, server_default="[]"))
    status: str = Field(default="pending", max_length=20)
    summary: str = Field(default="", sa_column=Column(Text, nullable=False, default=""))
    duration_ms: int = 0
    updated_at: datetime = Field(default_factory=utcnow)


class PlanStepPublic(SQLModel):
    """A plan step as the chat and the API show it."""

    step_id: str
    position: int
    goal: str
    agent: str
    tools: list[str]
    status: str
    summary: str
    duration_ms: int


class PlanPublic(SQLModel):
    """A plan as the chat shows it (a checklist above the answer)."""

    plan_id: str
    run_id: str
    status: str
    steps: list[PlanStepPublic]
