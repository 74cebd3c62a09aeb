"""Run steps: the ``run_steps`` rows the loop writes as tool calls start and finish, and the
chat's read side (:func:`list_steps`)."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from sqlalchemy import func, update
from sqlmodel import Session, col, select

from backend.accounts.actor import Actor
from backend.chat.service import get_conversation
from backend.db import session_scope
from backend.models import Message, Run
from backend.models.steps import RunStep, StepPublic

PREVIEW_CHARS = 2000
SUMMARY_CHARS = 300


@dataclass(frozen=True)
class NewStep:
    """A step to insert when its call starts."""

    step_id: str
    call_id: str
    tool_name: str
    title: str
    arguments: str
    parent_step_id: str | None
    depth: int
    status: str = "running"


class StepLog:
    """Writes one run's steps in execution order (``position`` continues after a resume)."""

    def __init__(self, run_id: str, conversation_id: str | None) -> None:
        self.run_id = run_id
        self.conversation_id = conversation_id
        with session_scope() as session:
            last = session.exec(select(func.max(RunStep.position)).where(RunStep.run_id == run_id)).one()
        self._position = last or 0

    def start(self, steps: Sequence[NewStep]) -> None:
        """Insert ``steps`` (one transaction)."""
        with session_scope() as session:
            for step in steps:
                self._position += 1
                session.add(
                    RunStep(
                        id=step.step_id,
                        run_id=self.run_id,
                        conversation_id=self.conversation_id,
                        position=self._position,
                        parent_step_id=step.parent_step_id,
                        depth=step.depth,
                        call_id=step.call_id[:100],
                        tool_name=step.tool_name[:64],
                        title=step.title[:120],
                        arguments=step.arguments,
                        status=step.status,
                    )
                )

    def finish(self, results: Sequence[tuple[str, str, str, str, int]]) -> None:
        """Record outcomes: ``(step_id, status, summary, output_preview, duration_ms)`` each."""
        with session_scope() as session:
            for step_id, status, summary, preview, duration_ms in results:
                session.execute(
                    update(RunStep)
                    .where(col(RunStep.id) == step_id)
                    .values(
                        status=status,
                        summary=summary[:SUMMARY_CHARS],
                        output_preview=preview[:PREVIEW_CHARS],
                        duration_ms=duration_ms,
                    )
                )

    def set_status(self, step_ids: Sequence[str], status: str) -> None:
        """Change the status of ``step_ids`` (``approved``, ``rejected``)."""
        with session_scope() as session:
            session.execute(update(RunStep).where(col(RunStep.id).in_(list(step_ids))).values(status=status))

    def close_running(self, summary: str = "Stopped by the user.") -> None:
        """Mark steps still ``running`` as ``error`` (the run stopped before they finished)."""
        with session_scope() as session:
            session.execute(
                update(RunStep)
                .where(col(RunStep.run_id) == self.run_id, col(RunStep.status) == "running")
                .values(status="error", summary=summary)
            )


def list_steps(*, actor: Actor, conversation_id: str, session: Session) -> dict[str, list[StepPublic]]:
    """Every step of a conversation's runs, for the chat (also when reopening a conversation).

    Returns:
        ``{assistant message id: [StepPublic, ...]}``: the steps of each run in execution order
        (delegated steps interleaved, nested by ``parent_step_id``/``depth``), under the run's
        assistant message. Runs without an assistant message yet (still running) are left out.

    Raises:
        NotFound, PermissionDenied: the conversation is not the actor's.
    """
    conv = get_conversation(actor=actor, conversation_id=conversation_id, session=session)
    messages = session.exec(
        select(Message.run_id, Message.id)
        .where(Message.conversation_id == conv.id, Message.role == "assistant", col(Message.run_id).is_not(None))
        .order_by(col(Message.position))
    ).all()
    by_run = {run_id: message_id for run_id, message_id in messages}
    rows = session.exec(
        select(RunStep)
        .join(Run, col(Run.id) == col(RunStep.run_id))
        .where(Run.conversation_id == conv.id)
        .order_by(col(RunStep.run_id), col(RunStep.position))
    ).all()
    out: dict[str, list[StepPublic]] = {}
    for row in rows:
        message_id = by_run.get(row.run_id)
        if message_id is None:
            continue
        out.setdefault(message_id, []).append(
            StepPublic(
                step_id=row.id,
                parent_step_id=row.parent_step_id,
                depth=row.depth,
                tool_name=row.tool_name,
                title=row.title,
                arguments=row.arguments,
                status=row.status,
                summary=row.summary,
                output_preview=row.output_preview,
                duration_ms=row.duration_ms,
            )
        )
    return out
