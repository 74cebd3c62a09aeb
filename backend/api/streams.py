"""Runs of the developer API as resumable event streams.

The run's event generator (``backend.runtime.run.run_agent``: the chat page's run path) is
driven by its own asyncio task, which appends every event to a per-run buffer; HTTP responses
are readers of that buffer. Numbered events let a client resume after a dropped connection
(``Last-Event-ID``: replay what follows, then follow live). When the last reader goes away and
none comes back within ``AGENTHUB_API_RESUME_GRACE_S``, the task is cancelled: the run path then
stores the partial answer and its usage and marks the run ``cancelled``, exactly like Stop.

Buffers live in this process's memory: ``RESUME_KEEP_S`` after the run ended, then dropped (a
resume after that, or on another process, gets 404). One event loop: nothing here blocks.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncGenerator
from contextlib import aclosing

from backend.config import get_settings
from backend.runtime.events import RunEvent, RunStarted

RESUME_KEEP_S = 600.0  # how long a finished run's events stay replayable, seconds
IDLE_TICK_S = 1.0  # a reader with nothing to send yields None this often (keep-alive / disconnect check)


class RunStream:
    """One run's events, numbered from 1 (``RunStarted`` is event 1).

    Args:
        started: The first event, already taken from ``gen``.
        gen: The rest of the run's events.
        key_id: The API key that started the run (only it may resume it).
    """

    def __init__(self, started: RunStarted, gen: AsyncGenerator[RunEvent, None], key_id: str) -> None:
        self.run_id, self.key_id = started.run_id, key_id
        self.events: list[RunEvent] = [started]
        self.done = False
        self.readers = 0
        self._changed = asyncio.Event()
        self._grace: asyncio.TimerHandle | None = None
        self.task = asyncio.create_task(self._produce(gen), name=f"api-run-{self.run_id}")

    async def _produce(self, gen: AsyncGenerator[RunEvent, None]) -> None:
        try:
            async with aclosing(gen):
                async for event in gen:
                    self.events.append(event)
                    self._wake()
        finally:
            self.done = True
            self._wake()
            asyncio.get_running_loop().call_later(RESUME_KEEP_S, _streams.pop, self.run_id, None)

    def _wake(self) -> None:
        self._changed.set()
        self._changed = asyncio.Event()

    def cancel(self) -> None:
        """Stop the run now (stores the partial answer and usage; status ``cancelled``)."""
        if not self.task.done():
            self.task.cancel()

    def _detach(self) -> None:
        self.readers -= 1
        if self.readers == 0 and not self.done:
            grace = get_settings().api_resume_grace_s
            if grace <= 0:
                self.cancel()
            else:
                self._grace = asyncio.get_running_loop().call_later(grace, self._cancel_if_alone)

    def _cancel_if_alone(self) -> None:
        if self.readers == 0:
            self.cancel()

    async def follow(self, after: int = 0) -> AsyncGenerator[tuple[int, RunEvent] | None, None]:
        """Events numbered above ``after`` as ``(number, event)``, live until the run ends;
        ``None`` after ``IDLE_TICK_S`` without news (write a keep-alive: it detects a gone client).
        Leaving the iteration detaches the reader (the last one leaving starts the grace period)."""
        self.readers += 1
        if self._grace is not None:
            self._grace.cancel()
            self._grace = None
        try:
            index = max(0, after)
            while True:
                while index < len(self.events):
                    index += 1
                    yield index, self.events[index - 1]
                if self.done:
                    return
                changed = self._changed
                try:
                    await asyncio.wait_for(changed.wait(), IDLE_TICK_S)
                except TimeoutError:
                    yield None
        finally:
            self._detach()

    async def wait_done(self, timeout_s: float) -> bool:
        """Wait until the producer task ended (tests, shutdown); True if it did."""
        with contextlib.suppress(TimeoutError, asyncio.CancelledError):
            await asyncio.wait_for(asyncio.shield(self.task), timeout_s)
        return self.task.done()


_streams: dict[str, RunStream] = {}


def start(started: RunStarted, gen: AsyncGenerator[RunEvent, None], key_id: str) -> RunStream:
    """Drive ``gen`` (after its ``started`` event) in a task and register it for resumption."""
    stream = RunStream(started, gen, key_id)
    _streams[stream.run_id] = stream
    return stream


def find(run_id: str, key_id: str) -> RunStream | None:
    """The live or recently finished stream of ``run_id`` started with ``key_id``, or None."""
    stream = _streams.get(run_id)
    return stream if stream is not None and stream.key_id == key_id else None


def parse_last_event_id(value: str | None) -> int:
    """The event number of a ``Last-Event-ID`` header (``"12"``), 0 if missing or malformed."""
    try:
        return max(0, int((value or "0").strip()))
    except ValueError:
        return 0
