"""Streaming a run into the chat page: one routine for a new reply and for a resumed run.

:func:`stream_run` opens the run, feeds its events into the chat page's state (:func:`pump`:
text and citations batched, tool steps, Stop), then shows what was stored and ends the
"streaming" state. ``ChatState.stream_reply`` (send) and ``StepsState.resume`` (Approve / Deny)
both use it; they differ only in how the run is opened and how a failure is worded.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from collections.abc import AsyncGenerator, Awaitable, Callable
from typing import Any

from sqlmodel import Session

from backend.accounts.actor import Actor
from backend.chat.service import ConversationPublic
from backend.runtime.events import Citation, RunEvent, RunStarted, TextDelta
from dashboard.chat.citations import citation_item
from dashboard.chat.format import ChatMessage, CitationItem, conversation_item
from dashboard.chat.plan import on_plan_event
from dashboard.chat.plan import run_started as plan_started
from dashboard.chat.steps import on_run_event
from dashboard.chat.steps import run_started as steps_started
from dashboard.chat.subscribed import conversations, load_messages
from dashboard.shell.auth import SignedOut
from dashboard.shell.db import in_session

log = logging.getLogger(__name__)

FLUSH_S = 0.05  # send streamed text to the browser at most ~20 times a second
# How often a quiet stream (slow first token) looks at the Stop flag. Each look is a round trip of
# the page's state (on the scale-out profile: a Redis lock, load and save), and a busy server's
# first tokens are slow, so looking often would cost the most exactly when CPU is short.
STOP_CHECK_S = 1.0

RunOpener = Callable[[], Awaitable[tuple[Actor, str, AsyncGenerator[RunEvent, None]]]]
"""Opens a run: returns ``(the signed-in member, conversation id, run event generator)``; may raise
before streaming (``SignedOut`` when the session is gone)."""


def _show_conversations(chat: Any, agent_id: str, convs: list[ConversationPublic]) -> None:
    """Show ``convs`` as the agent's conversation list (``chat`` entered), unless another agent is
    shown now or the list is unchanged (an assignment sends the whole list to the browser again)."""
    items = [conversation_item(c) for c in convs]
    if chat.agent_id == agent_id and items != list(chat.conversations):
        chat.conversations = items


async def _run_started(state: Any, run_id: str, actor: Actor, agent_id: str, conversation_id: str) -> None:
    """A run started: one round trip of the page's state resets the live steps and checklist,
    and (``conversation_id`` given: a new conversation, just stored) opens it and lists it."""
    convs = await in_session(lambda s: conversations(actor, agent_id, s)) if conversation_id else None
    async with state:
        await steps_started(state, run_id)
        await plan_started(state)
        if conversation_id and not state.conversation_id:
            state.conversation_id = conversation_id
        if convs is not None:
            _show_conversations(state, agent_id, convs)


async def pump(
    state: Any, gen: AsyncGenerator[RunEvent, None], actor: Actor, agent_id: str, *, new_conversation: str = ""
) -> None:
    """Consume the run's events into ``state`` (the chat page's state); on Stop cancel the run.

    Text is batched to the page; ``Citation`` events (sent after the text) become the sources
    shown under the reply. A ``new_conversation`` (its id) is opened and listed in the sidebar
    as soon as its run starts (a conversation already listed is re-ordered when the reply ends).

    The next event is awaited as a task so a quiet stream (slow first token, a hang) can
    still be stopped: cancelling it, or closing the generator, stores the partial answer
    and marks the run cancelled. That task starts as soon as an event arrives, so the run
    goes on (e.g. to its model call after ``RunStarted``) while the page shows the event.
    """
    pending: asyncio.Future[RunEvent] | None = None
    buffer: list[str] = []
    cited: list[CitationItem] = []
    last = time.monotonic()
    try:
        while True:
            if pending is None:
                pending = asyncio.ensure_future(anext(gen))
            done, _ = await asyncio.wait({pending}, timeout=FLUSH_S)
            if pending in done:
                finished, pending = pending, None
                try:
                    event = finished.result()
                except StopAsyncIteration:
                    break
                pending = asyncio.ensure_future(anext(gen))  # the run goes on while this event is shown
                if isinstance(event, TextDelta):
                    buffer.append(event.text)
                elif isinstance(event, Citation):  # sent after the text: the sources under it
                    cited.append(citation_item(event))
                elif isinstance(event, RunStarted):
                    await _run_started(state, event.run_id, actor, agent_id, new_conversation)
                else:
                    await on_run_event(state, event)  # tool-call steps (dashboard/chat/steps.py)
                    await on_plan_event(state, event)  # planner mode's checklist (dashboard/chat/plan.py)
            now = time.monotonic()
            if ((buffer or cited) and now - last >= FLUSH_S) or now - last >= STOP_CHECK_S:
                last = now
                async with state:
                    if buffer:
                        state.stream_text += "".join(buffer)
                        buffer.clear()
                    if cited:
                        state.stream_citations = [*state.stream_citations, *cited]
                        cited.clear()
                    stop = state._stop_requested
                if stop:
                    break
    finally:
        if pending is not None:
            pending.cancel()
            with contextlib.suppress(BaseException):
                await pending
        await gen.aclose()


def _stored(
    actor: Actor, agent_id: str, conversation_id: str, session: Session
) -> tuple[list[ConversationPublic], list[ChatMessage] | None]:
    """An agent's conversations and, if one is open, its stored messages (after a reply)."""
    convs = conversations(actor, agent_id, session)
    return convs, load_messages(actor, conversation_id, session) if conversation_id else None


async def stream_run(
    chat: Any,
    *,
    agent_id: str,
    conversation_id: str,
    open_run: RunOpener,
    failure: Callable[[Exception], str],
) -> str:
    """Stream one run into the chat page, then show what was stored and end "streaming".

    The caller has already set ``chat.streaming`` (so no second run starts meanwhile).

    Args:
        chat: The chat page's state proxy (``ChatState`` of this browser tab).
        agent_id: The agent of the run; the conversation list shown is reloaded for it.
        conversation_id: The open conversation (``""`` if ``open_run`` creates it).
        open_run: Opens the run; returns the signed-in member (who reads the stored messages
            back) and the conversation id, which replaces ``conversation_id`` (a new one is
            shown as open when the run starts, before any text).
        failure: The message shown for an exception raised while opening or streaming.

    Returns:
        The conversation the run belonged to.

    Raises:
        SignedOut: ``open_run`` found the session gone (after "streaming" has ended), for the
            app's handler to send the browser to the sign-in page.
    """
    error, new = "", not conversation_id
    actor: Actor | None = None
    signed_out = False
    try:
        actor, conversation_id, gen = await open_run()
        await pump(chat, gen, actor, agent_id, new_conversation=conversation_id if new else "")
    except SignedOut:
        signed_out = True
    except Exception as exc:  # never leave the page stuck in "streaming"
        error = failure(exc)
    rows: list[ChatMessage] | None = None
    convs: list[ConversationPublic] | None = None
    try:
        if (member := actor) is not None:  # else the run never opened: nothing new was stored
            convs, rows = await in_session(lambda s: _stored(member, agent_id, conversation_id, s))
    except Exception:  # the agent or conversation went away meanwhile: keep what is shown
        log.exception("reloading the conversation failed")
    async with chat:
        if actor is None:  # not stored: the message shown while sending goes
            chat.messages = [m for m in chat.messages if m.id != "pending"]
        if new and conversation_id and not chat.conversation_id:  # stored, but the run never started
            chat.conversation_id = conversation_id
        if rows is not None and chat.conversation_id == conversation_id:
            chat.messages = rows
        if convs is not None:
            _show_conversations(chat, agent_id, convs)
        chat.error, chat.stream_text, chat.stream_citations = error, "", []
        chat.streaming = chat.stopping = chat._stop_requested = False
    if signed_out:
        raise SignedOut
    return conversation_id
