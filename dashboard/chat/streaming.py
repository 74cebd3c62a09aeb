"""Streaming a run into the chat page: batching text and citations, Stop, and the address bar."""

from __future__ import annotations

import asyncio
import contextlib
import time
from collections.abc import AsyncGenerator
from typing import Any

import reflex as rx
from reflex.event import EventSpec

from backend.accounts.actor import Actor
from backend.chat.service import list_conversations
from backend.runtime.events import Citation, RunEvent, RunStarted, TextDelta
from dashboard.chat.citations import citation_item
from dashboard.chat.format import CitationItem, conversation_item
from dashboard.chat.steps import on_run_event
from dashboard.shell.db import in_session

FLUSH_S = 0.05  # send streamed text to the browser at most ~20 times a second
STOP_CHECK_S = 0.25  # how often a quiet stream (slow first token) looks at the Stop flag


async def pump(state: Any, gen: AsyncGenerator[RunEvent, None], actor: Actor, agent_id: str) -> None:
    """Consume the run's events into ``state`` (the chat page's state); on Stop cancel the run.

    Text is batched to the page; ``Citation`` events (sent after the text) become the sources
    shown under the reply.

    The next event is awaited as a task so a quiet stream (slow first token, a hang) can
    still be stopped: cancelling it, or closing the generator, stores the partial answer
    and marks the run cancelled.
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
                await on_run_event(state, event)  # tool-call steps (dashboard/chat/steps.py)
                if isinstance(event, TextDelta):
                    buffer.append(event.text)
                elif isinstance(event, Citation):  # sent after the text: the sources under it
                    cited.append(citation_item(event))
                elif isinstance(event, RunStarted):  # the message is stored: list its conversation
                    convs = await in_session(lambda s: list_conversations(actor=actor, agent_id=agent_id, session=s))
                    async with state:
                        if state.agent_id == agent_id:
                            state.conversations = [conversation_item(c) for c in convs]
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


def set_url(query: str) -> EventSpec:
    """Put the open agent or conversation in the address bar (no navigation, no reload)."""
    script = f"window.history.replaceState(window.history.state, '', window.location.pathname + '?{query}')"
    return rx.call_script(script)
