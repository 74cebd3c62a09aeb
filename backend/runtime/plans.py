"""Stored plans of planner-mode runs: the ``plans`` / ``plan_steps`` rows the runtime writes as a
plan is made and its steps run, and the chat's read side (:func:`list_plans`).

Every write is one short transaction (blocking: call it in a thread).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from sqlalchemy import update
from sqlmodel import Session, col, select

from backend.accounts.actor import Actor
from backend.chat.service import get_conversation
from backend.db import session_scope
from backend.models import Message
from backend.models.common import utcnow
from backend.models.plans import Plan, PlanPublic, PlanStep, PlanStepPublic

SUMMARY_CHARS = 2000
NOTE_CHARS = 500
UNFINISHED = ("pending", "running")


@dataclass(frozen=True)
class NewPlanStep:
    """A validated step to store: ``agent_id`` None for the planner itself."""

    goal: str
    agent_id: str | None
    agent_name: str
    tools: tuple[str, ...]


def create_plan(run_id: str, conversation_id: str | None, steps: Sequence[NewPlanStep]) -> tuple[str, list[str]]:
    """Store a plan (status ``running``) and its steps (``pending``, positions 1..n).

    Returns:
        ``(plan id, [step id, ...])`` in step order.
    """
    with session_scope() as session:
        plan = Plan(run_id=run_id, conversation_id=conversation_id)
        session.add(plan)
        session.flush()
        ids: list[str] = []
        for position, step in enumerate(steps, start=1):
            row = PlanStep(
                plan_id=plan.id,
                position=position,
                goal=step.goal[:500],
                agent_id=step.agent_id,
                agent_name=step.agent_name[:80],
                tools=list(step.tools),
            )
            session.add(row)
            ids.append(row.id)
        return plan.id, ids


def reject_plan(run_id: str, conversation_id: str | None, note: str) -> str:
    """Record that the model's plan was refused (the agent answers directly); returns its id."""
    with session_scope() as session:
        plan = Plan(run_id=run_id, conversation_id=conversation_id, status="rejected", note=note[:NOTE_CHARS])
        session.add(plan)
        session.flush()
        return plan.id


def set_step(step_id: str, status: str, summary: str = "", duration_ms: int = 0) -> None:
    """Set a step's status (``running``, ``done``, ``failed``), result summary and duration (ms)."""
    with session_scope() as session:
        session.execute(
            update(PlanStep)
            .where(col(PlanStep.id) == step_id)
            .values(status=status, summary=summary[:SUMMARY_CHARS], duration_ms=duration_ms, updated_at=utcnow())
        )


def finish_plan(plan_id: str, status: str) -> None:
    """Set the plan's status (``done``, ``failed``)."""
    with session_scope() as session:
        session.execute(update(Plan).where(col(Plan.id) == plan_id).values(status=status))


def failed_steps(run_id: str) -> list[tuple[int, str]]:
    """``(position, goal)`` of the failed steps of a run's plan (none without a plan)."""
    with session_scope() as session:
        rows = session.exec(
            select(PlanStep.position, PlanStep.goal)
            .join(Plan, col(Plan.id) == col(PlanStep.plan_id))
            .where(Plan.run_id == run_id, PlanStep.status == "failed")
            .order_by(col(PlanStep.position))
        ).all()
    return [(position, goal) for position, goal in rows]


def stop_plans(session: Session, run_ids: Sequence[str], summary: str) -> None:
    """The runs ended before their plans did (Stop, crash): unfinished steps become ``failed``
    with ``summary``, running plans ``stopped``. Runs in the caller's transaction."""
    if not run_ids:
        return
    plan_ids = session.exec(select(Plan.id).where(col(Plan.run_id).in_(list(run_ids)), Plan.status == "running")).all()
    if not plan_ids:
        return
    session.execute(
        update(PlanStep)
        .where(col(PlanStep.plan_id).in_(plan_ids), col(PlanStep.status).in_(UNFINISHED))
        .values(status="failed", summary=summary[:SUMMARY_CHARS], updated_at=utcnow())
    )
    session.execute(update(Plan).where(col(Plan.id).in_(plan_ids)).values(status="stopped"))


def stop_run_plans(run_id: str, summary: str) -> None:
    """:func:`stop_plans` for one run in its own transaction."""
    with session_scope() as session:
        stop_plans(session, [run_id], summary)


def list_plans(*, actor: Actor, conversation_id: str, session: Session) -> dict[str, PlanPublic]:
    """The plans of a conversation's runs, for the chat (also when reopening a conversation).

    Returns:
        ``{assistant message id: PlanPublic}`` with steps in order. Rejected plans (the agent
        answered directly) and runs without an assistant message yet are left out.

    Raises:
        NotFound, PermissionDenied: the conversation is not the actor's.
    """
    conv = get_conversation(actor=actor, conversation_id=conversation_id, session=session)
    return plans_of_conversation(conv.id, session)


def plans_of_conversation(conversation_id: str, session: Session) -> dict[str, PlanPublic]:
    """:func:`list_plans` without the access check (the caller has checked the conversation)."""
    messages = session.exec(
        select(Message.run_id, Message.id).where(
            Message.conversation_id == conversation_id, Message.role == "assistant", col(Message.run_id).is_not(None)
        )
    ).all()
    by_run = {run_id: message_id for run_id, message_id in messages}
    plans = session.exec(select(Plan).where(Plan.conversation_id == conversation_id, Plan.status != "rejected")).all()
    plans = [p for p in plans if p.run_id in by_run]
    if not plans:
        return {}
    steps = session.exec(
        select(PlanStep)
        .where(col(PlanStep.plan_id).in_([p.id for p in plans]))
        .order_by(col(PlanStep.plan_id), col(PlanStep.position))
    ).all()
    out: dict[str, PlanPublic] = {}
    for plan in plans:
        out[by_run[plan.run_id]] = _public(plan, [s for s in steps if s.plan_id == plan.id])
    return out


def plan_of_run(run_id: str, session: Session) -> PlanPublic | None:
    """The plan of one run with its steps in order (the developer API's run resource), or None
    when the run wrote no plan or its plan was rejected (the agent answered directly). No access
    check: the caller has checked the run."""
    plan = session.exec(select(Plan).where(Plan.run_id == run_id, Plan.status != "rejected")).first()
    if plan is None:
        return None
    steps = session.exec(select(PlanStep).where(PlanStep.plan_id == plan.id).order_by(col(PlanStep.position))).all()
    return _public(plan, list(steps))


def _public(plan: Plan, steps: list[PlanStep]) -> PlanPublic:
    return PlanPublic(
        plan_id=plan.id,
        run_id=plan.run_id,
        status=plan.status,
        steps=[
            PlanStepPublic(
                step_id=s.id,
                position=s.position,
                goal=s.goal,
                agent=s.agent_name,
                tools=list(s.tools or []),
                status=s.status,
                summary=s.summary,
                duration_ms=s.duration_ms,
            )
            for s in steps
        ],
    )
