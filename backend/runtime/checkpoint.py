"""A running run's checkpoint: its heartbeat, the answer streamed so far and the tokens received.

At most one small ``UPDATE runs`` per interval (default 1 s), written in a worker thread (never
on the event loop, never per token), and only while the run is still ``running``. After a crash
the stale-run sweep (``backend.runtime.sweep``) finds the last checkpoint: it keeps the partial
answer, records the tokens already received and releases the budget holds.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Callable
from typing import Any

from sqlalchemy import update
from sqlmodel import col

from backend.db import session_scope
from backend.gateway.inflight import InFlight, with_tokens
from backend.models import Run
from backend.models.common import utcnow

log = logging.getLogger(__name__)
CHECKPOINT_INTERVAL_S = 1.0
"""Seconds between two checkpoint writes of one run (while it streams or works)."""


def write_checkpoint(run_id: str, text: str, snapshot: dict[str, Any] | None) -> bool:
    """Store the heartbeat, ``text`` and the in-flight call (tokens counted here; blocking).

    Returns:
        False when the run is no longer ``running`` (it finished meanwhile: nothing written).
    """
    inflight = with_tokens(snapshot) if snapshot else None
    with session_scope() as session:
        result = session.execute(
            update(Run)
            .where(col(Run.id) == run_id, col(Run.status) == "running")
            .values(heartbeat_at=utcnow(), partial_text=text, inflight=inflight)
            .execution_options(synchronize_session=False)
        )
        return bool(result.rowcount)  # type: ignore[attr-defined]


class Checkpoint:
    """Checkpoints of one run (shared by its delegated loops).

    Args:
        run_id: The run.
        interval_s: Least seconds between two writes.

    Attributes:
        inflight: Passed to the gateway (``router.stream_chat(progress=...)``).
        text: ``() -> str``: the answer so far (set by the run once its loop exists).
        writes: Writes started so far (for measurements).
    """

    def __init__(self, run_id: str, *, interval_s: float = CHECKPOINT_INTERVAL_S) -> None:
        self.run_id, self.interval_s = run_id, interval_s
        self.inflight = InFlight()
        self.text: Callable[[], str] = lambda: ""
        self.writes = 0
        self._last = time.monotonic()
        self._task: asyncio.Future[bool] | None = None

    def tick(self) -> None:
        """Call on the event loop at any sign of progress; starts a write when one is due.

        Cheap when none is due (a clock read); never waits for the database. A write still in
        progress delays the next one.
        """
        now = time.monotonic()
        if now - self._last < self.interval_s or (self._task is not None and not self._task.done()):
            return
        self._last = now
        self.writes += 1
        self._task = asyncio.ensure_future(
            asyncio.to_thread(write_checkpoint, self.run_id, self.text(), self.inflight.snapshot())
        )
        self._task.add_done_callback(_report)


def _report(task: asyncio.Future[bool]) -> None:
    if not task.cancelled() and task.exception() is not None:
        log.warning("run checkpoint failed: %s", type(task.exception()).__name__)
