"""Planner mode in the chat: the plan of a run as a checklist, live while the run streams
(``PlanCreated`` / ``PlanStepUpdated`` events) and stored under each answer (also after a reload;
``backend.runtime.plans.list_plans``)."""

from __future__ import annotations

import dataclasses
from typing import Any

import reflex as rx
from sqlmodel import Session

from backend.accounts.actor import NotFound, PermissionDenied
from backend.runtime import events as ev
from dashboard.chat.steps import reply_streaming
from dashboard.shell.auth import signed_in
from dashboard.shell.db import in_session


@dataclasses.dataclass
class PlanStepItem:
    """One line of a plan's checklist."""

    step_id: str = ""
    message_id: str = ""
    position: int = 0
    goal: str = ""
    agent: str = ""
    tools: str = ""
    status: str = "pending"
    summary: str = ""
    duration: str = ""


def _duration(ms: int) -> str:
    if not ms:
        return ""
    return f"{ms} ms" if ms < 1000 else f"{ms / 1000:.1f} s"


class PlanState(rx.State):
    """Plans of the open conversation (stored, by assistant message) and of the streaming run."""

    steps: list[PlanStepItem] = []
    messages_with_plans: list[str] = []
    live: list[PlanStepItem] = []

    @rx.event
    async def load(self, conversation_id: str):  # type: ignore[no-untyped-def]
        """The stored plans of a conversation (re-run whenever the shown messages change)."""
        actor = await signed_in(self)
        if not await reply_streaming(self):  # a streaming reply keeps its live checklist (reset when a run starts)
            self.live = []
        if not conversation_id:
            self.steps, self.messages_with_plans = [], []
            return
        from backend.runtime.plans import list_plans

        def read(session: Session) -> dict[str, Any]:
            return list_plans(actor=actor, conversation_id=conversation_id, session=session)

        try:
            plans = await in_session(read)
        except (NotFound, PermissionDenied):  # a subscribed agent's conversation, or gone
            self.steps, self.messages_with_plans = [], []
            return
        self.messages_with_plans = list(plans)
        self.steps = [
            PlanStepItem(
                step_id=s.step_id,
                message_id=message_id,
                position=s.position,
                goal=s.goal,
                agent=s.agent,
                tools=", ".join(s.tools),
                status=s.status,
                summary=s.summary,
                duration=_duration(s.duration_ms),
            )
            for message_id, plan in plans.items()
            for s in plan.steps
        ]


async def run_started(chat: Any) -> None:
    """A run starts: no checklist yet. ``chat`` is the chat page's state, already entered
    (``async with``): the streaming loop does this in the same round trip as its other updates."""
    plan = await chat.get_state(PlanState)
    if plan.live:  # assigning marks it changed: sent to the browser again even if empty
        plan.live = []


async def on_plan_event(chat: Any, event: Any) -> None:
    """Keep the live checklist of the streaming run (``chat``: the chat page's state proxy).

    ``RunStarted`` is not handled here (see :func:`run_started`)."""
    if isinstance(event, ev.PlanCreated):
        live = [
            PlanStepItem(step_id=s.step_id, position=s.position, goal=s.goal, agent=s.agent, tools=", ".join(s.tools))
            for s in event.steps
        ]
        async with chat:
            (await chat.get_state(PlanState)).live = live
    elif isinstance(event, ev.PlanStepUpdated):
        change = {"status": event.status, "summary": event.summary, "duration": _duration(event.duration_ms)}
        async with chat:
            state = await chat.get_state(PlanState)
            state.live = [dataclasses.replace(s, **change) if s.step_id == event.step_id else s for s in state.live]
