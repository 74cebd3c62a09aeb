"""The in-process background worker: ingestion, re-embedding, pruning and index upkeep.

Jobs live in the database (queued knowledge sources, workspaces with ``status='reembedding'``,
agents with pruning rules), so any process can do them and a page polls progress from the same
rows. The worker is one daemon thread with its own asyncio loop; :func:`notify` wakes it when
work is added. Scale-out runs the same :func:`run_pending` in ``agenthub worker`` processes;
claims are conditional UPDATEs, so two workers never take the same job.
"""

from __future__ import annotations

import asyncio
import logging
import threading
import time
from collections.abc import Callable

from backend.memory import wakeup
from backend.memory.conversation import prune_due
from backend.memory.embedder import reembed_next
from backend.memory.ingest import claim_next, ingest_source
from backend.memory.store import get_store

log = logging.getLogger(__name__)
IDLE_WAIT_S = 30.0
OPTIMIZE_EVERY_S = 60.0


async def run_pending(*, max_jobs: int = 1000) -> int:
    """Do every job that is due now: queued sources, pending re-embeddings, then pruning.

    Returns:
        How many jobs were done (sources ingested or re-embeddings finished/failed).
    """
    done = 0
    while done < max_jobs:
        source = await asyncio.to_thread(claim_next)
        if source is None:
            break
        log.info("ingesting knowledge source %s", source.id)
        await ingest_source(source)
        done += 1
    while done < max_jobs and await reembed_next():
        done += 1
    await asyncio.to_thread(prune_due)
    return done


class MemoryWorker:
    """A daemon thread running :func:`run_pending` whenever woken, and every 30 s otherwise; at
    its first pass and then every ``maintenance_every_s`` it also runs ``maintenance`` (the app
    passes ``backend.runtime.sweep.run_maintenance``: stale runs finished, expired budget holds
    released), so this layer does not import the runtime.

    Index upkeep (:meth:`Store.optimize`: compaction, folding new rows into the indexes, training
    a vector index, ~20-60 s at 100k rows) runs in a second thread, at most one at a time and at
    most once a minute after new work, so uploads keep being ingested meanwhile; LanceDB commits
    that race it are retried (:func:`backend.memory.store.retrying`).
    """

    def __init__(self, maintenance: Callable[[], object] | None = None, maintenance_every_s: float = 60.0) -> None:
        self._maintenance, self._maintenance_every_s = maintenance, maintenance_every_s
        self._wake = threading.Event()
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        self._last_optimize = 0.0
        self._dirty = False
        self._optimizer: threading.Thread | None = None
        self._last_maintenance: float | None = None

    @property
    def running(self) -> bool:
        """True while the thread is alive."""
        return self._thread is not None and self._thread.is_alive()

    def start(self) -> None:
        """Start the thread (no-op if running)."""
        if self.running:
            return
        self._stop.clear()
        wakeup.listen(self.notify)
        self._thread = threading.Thread(target=self._run, name="agenthub-memory-worker", daemon=True)
        self._thread.start()

    def stop(self, timeout_s: float = 10.0) -> None:
        """Ask the thread to stop after its current job and wait up to ``timeout_s`` seconds."""
        wakeup.unlisten(self.notify)
        self._stop.set()
        self._wake.set()
        if self._thread is not None:
            self._thread.join(timeout_s)
        self._thread = None

    @property
    def optimizing(self) -> bool:
        """True while an index upkeep pass runs."""
        return self._optimizer is not None and self._optimizer.is_alive()

    def _start_optimize(self) -> bool:
        """Start an upkeep pass in its own thread unless one runs; returns whether it started."""
        if self.optimizing:
            return False
        self._last_optimize = time.monotonic()
        self._optimizer = threading.Thread(target=_optimize, name="agenthub-memory-optimize", daemon=True)
        self._optimizer.start()
        return True

    def notify(self) -> None:
        """Wake the worker: new work was queued."""
        self._wake.set()

    def _maintain(self) -> None:
        """Run ``maintenance`` at the first pass, then every ``maintenance_every_s``."""
        now = time.monotonic()
        if self._maintenance is None or (
            self._last_maintenance is not None and now - self._last_maintenance < self._maintenance_every_s
        ):
            return
        self._last_maintenance = now
        try:
            self._maintenance()
        except Exception:  # the next pass tries again
            log.exception("stale-run sweep failed")

    def _run(self) -> None:
        while not self._stop.is_set():
            self._wake.clear()
            self._maintain()
            try:
                jobs = asyncio.run(run_pending())
                self._dirty = self._dirty or jobs > 0
                if self._dirty and time.monotonic() - self._last_optimize > OPTIMIZE_EVERY_S:
                    self._dirty = not self._start_optimize()
            except Exception:  # keep the worker alive; the failing job recorded its own error
                log.exception("memory worker pass failed")
            self._wake.wait(IDLE_WAIT_S)


def _optimize() -> None:
    try:
        get_store().optimize()
    except Exception:  # the next pass tries again
        log.exception("memory index upkeep failed")


_worker: MemoryWorker | None = None


def start_worker(maintenance: Callable[[], object] | None = None, maintenance_every_s: float = 60.0) -> MemoryWorker:
    """Start the process-wide worker (call once when the app starts) with the periodic ``maintenance``."""
    global _worker
    if _worker is None:
        _worker = MemoryWorker(maintenance, maintenance_every_s)
    _worker.start()
    return _worker


def stop_worker() -> None:
    """Stop the process-wide worker."""
    if _worker is not None:
        _worker.stop()
