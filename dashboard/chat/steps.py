"""Tool-call steps in the chat: live while a run streams, stored ones under each answer (also when
a past conversation is reopened), and Approve / Deny for steps that wait for the user.

:func:`on_run_event` is called by the chat's streaming loop for every run event; it keeps the
live steps in :class:`StepsState`. Stored steps come from ``backend.runtime.steps.list_steps``.
Approve / Deny record a decision per waiting step; when every waiting step of the run has one,
:meth:`StepsState.resume` continues the run (``resume_run``) in a background event and streams it
into the chat like a normal reply.
"""

from __future__ import annotations

import dataclasses
import logging
from typing import Any

import reflex as rx
from sqlmodel import Session, col, select

from backend.accounts.actor import Actor, NotFound, PermissionDenied
from backend.accounts.principal import principal_for_member
from backend.models import Message
from backend.runtime import events as ev
from dashboard.shell.auth import signed_in
from dashboard.shell.db import in_session

log = logging.getLogger(__name__)
AWAITING = "awaiting_approval"
_STEP_EVENTS = tuple(
    getattr(ev, name) for name in ("ToolCallStarted", "ToolCallFinished", "ApprovalRequired") if hasattr(ev, name)
)


@dataclasses.dataclass
class StepItem:
    """One tool call as the chat shows it (``indent``: CSS margin for delegated steps)."""

    step_id: str = ""
    message_id: str = ""
    run_id: str = ""
    parent_step_id: str = ""
    depth: int = 0
    tool_name: str = ""
    title: str = ""
    arguments: str = ""
    status: str = "running"
    summary: str = ""
    output_preview: str = ""
    duration: str = ""
    indent: str = "0px"
    decision: str = ""  # "approve" / "deny" once the user chose (waiting for the other steps)


def _indent(depth: int) -> str:
    return f"{max(0, min(depth, 3)) * 20}px"


def _decision(value: bool | None) -> str:
    return "" if value is None else ("approve" if value else "deny")


def _duration(ms: int) -> str:
    return f"{ms} ms" if ms < 1000 else f"{ms / 1000:.1f} s"


async def reply_streaming(state: rx.State) -> bool:
    """Whether the chat page (``state``: any state of its session) is streaming a reply now.

    A stored-steps or stored-plan reload can arrive after the running reply's first live events
    (the conversation opened and the message list changed when it started): it must not wipe them.
    """
    from dashboard.chat.state import ChatState  # the chat page's state imports this module

    return bool((await state.get_state(ChatState)).streaming)


class StepsState(rx.State):
    """Steps of the open conversation (stored) and of the run streaming now (live)."""

    steps: list[StepItem] = []
    live: list[StepItem] = []
    error: str = ""
    _run_id: str = ""
    _decisions: dict[str, dict[str, bool]] = {}

    @rx.event
    async def load(self, conversation_id: str):  # type: ignore[no-untyped-def]
        """The stored steps of a conversation (re-run whenever the shown messages change)."""
        actor = await signed_in(self)
        self.error = ""
        if not await reply_streaming(self):  # a streaming reply keeps its live steps (reset when a run starts)
            self.live = []
        if not conversation_id:
            self.steps = []
            return
        try:
            from backend.runtime.steps import list_steps

            def read(session: Session) -> tuple[dict[str, Any], dict[str, str | None]]:
                by_message = list_steps(actor=actor, conversation_id=conversation_id, session=session)
                ids = list(by_message)
                rows = session.exec(select(Message.id, Message.run_id).where(col(Message.id).in_(ids))).all()
                return by_message, dict(rows)

            by_message, runs = await in_session(read)
        except (NotFound, PermissionDenied, ImportError):
            self.steps = []
            return
        self.steps = [
            StepItem(
                step_id=s.step_id,
                message_id=message_id,
                run_id=runs.get(message_id) or "",
                parent_step_id=s.parent_step_id or "",
                depth=s.depth,
                tool_name=s.tool_name,
                title=s.title or s.tool_name,
                arguments=s.arguments,
                status=s.status,
                summary=s.summary,
                output_preview=s.output_preview,
                duration=_duration(s.duration_ms) if s.status not in ("running", AWAITING) else "",
                indent=_indent(s.depth),
                decision=_decision(self._decisions.get(runs.get(message_id) or "", {}).get(s.step_id)),
            )
            for message_id, items in by_message.items()
            for s in items
        ]

    @rx.event
    async def decide(self, run_id: str, step_id: str, approve: bool):  # type: ignore[no-untyped-def]
        """Approve or deny a waiting step; continue the run once every waiting step has a decision."""
        await signed_in(self)
        self.error = ""
        decisions = {**self._decisions.get(run_id, {}), step_id: approve}
        self._decisions = {**self._decisions, run_id: decisions}
        self.steps = [
            dataclasses.replace(s, decision="approve" if approve else "deny") if s.step_id == step_id else s
            for s in self.steps
        ]
        waiting = [s.step_id for s in self.steps if s.run_id == run_id and s.status == AWAITING]
        if all(w in decisions for w in waiting):
            return StepsState.resume(run_id)  # type: ignore[misc]
        return None

    @rx.event(background=True)
    async def resume(self, run_id: str):  # type: ignore[no-untyped-def]
        """Continue a paused run with the user's decisions and stream it into the chat."""
        from backend.runtime.resume import resume_run
        from dashboard.chat.state import ChatState
        from dashboard.chat.streaming import stream_run

        async with self:
            actor = await signed_in(self)
            decisions = dict(self._decisions.get(run_id, {}))
            chat = await self.get_state(ChatState)
            busy = chat.streaming
            conv_id, agent_id = chat.conversation_id, chat.agent_id
            if not busy:
                chat.streaming, chat.stopping, chat._stop_requested = True, False, False
                chat.error, chat.stream_text, chat.stream_citations = "", "", []
                self.live, self._run_id = [], run_id
                self.steps = [
                    dataclasses.replace(s, status="approved" if decisions.get(s.step_id) else "rejected")
                    if s.run_id == run_id and s.status == AWAITING
                    else s
                    for s in self.steps
                ]
        if busy:
            return

        async def open_run() -> tuple[Actor, str, Any]:
            principal = await in_session(lambda s: principal_for_member(actor, agent_id, s))  # the edge
            return actor, conv_id, resume_run(principal=principal, run_id=run_id, decisions=decisions)

        await stream_run(chat, agent_id=agent_id, conversation_id=conv_id, open_run=open_run, failure=_resume_failure)
        async with self:
            self._decisions = {k: v for k, v in self._decisions.items() if k != run_id}


def _resume_failure(exc: Exception) -> str:
    """What the chat says when a paused run could not be continued."""
    from backend.runtime.run import RunRejected

    if isinstance(exc, (NotFound, PermissionDenied, RunRejected)):
        return "This run can no longer be continued (it was already answered)."
    log.error("resuming a run failed", exc_info=exc)
    return f"Something went wrong: {type(exc).__name__}."


def _started(event: Any, run_id: str) -> StepItem:
    return StepItem(
        step_id=event.step_id,
        run_id=run_id,
        parent_step_id=event.parent_step_id or "",
        depth=event.depth,
        tool_name=event.tool_name,
        title=event.title or event.tool_name,
        arguments=event.arguments,
        indent=_indent(event.depth),
    )


async def run_started(chat: Any, run_id: str) -> None:
    """A run starts: no live steps yet. ``chat`` is the chat page's state, already entered
    (``async with``): the streaming loop does this in the same round trip as its other updates."""
    steps = await chat.get_state(StepsState)
    steps._run_id = run_id
    if steps.live:  # assigning marks it changed: sent to the browser again even if empty
        steps.live = []


async def on_run_event(chat: Any, event: Any) -> None:
    """Keep the live steps of the streaming run (``chat``: the chat page's state proxy).

    ``RunStarted`` is not handled here (see :func:`run_started`)."""
    if not _STEP_EVENTS or not isinstance(event, _STEP_EVENTS):
        return
    async with chat:
        steps = await chat.get_state(StepsState)
        name = type(event).__name__
        if name == "ToolCallStarted":
            steps.live = [*steps.live, _started(event, steps._run_id)]
        elif name == "ToolCallFinished":
            done = {
                "status": event.status,
                "summary": event.summary,
                "output_preview": event.output_preview,
                "duration": _duration(event.duration_ms),
            }
            steps.live = [dataclasses.replace(s, **done) if s.step_id == event.step_id else s for s in steps.live]
            if any(s.step_id == event.step_id for s in steps.steps):  # a stored step decided on resume
                steps.steps = [dataclasses.replace(s, **done) if s.step_id == event.step_id else s for s in steps.steps]
        else:  # ApprovalRequired
            steps.live = [
                dataclasses.replace(s, status=AWAITING) if s.step_id == event.step_id else s for s in steps.live
            ]
