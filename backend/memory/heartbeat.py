"""Worker heartbeats in Redis, so ``/api/health`` can tell whether background jobs are being done.

Each ``agenthub worker`` (and an app's in-process worker) writes ``agenthub:worker:<host>:<pid>``
every :data:`EVERY_S` seconds with a time-to-live of :data:`TTL_S` seconds: a worker killed with
``kill -9`` disappears from the count within ``TTL_S``. Without ``REDIS_URL`` there is nowhere
shared to write, and :func:`live_workers` returns None.
"""

from __future__ import annotations

import json
import logging
import os
import socket
import threading
import time

from backend.config import get_settings

log = logging.getLogger(__name__)
PREFIX = "agenthub:worker:"
EVERY_S = 5.0
TTL_S = 20


def _client():  # type: ignore[no-untyped-def]
    url = get_settings().redis_url
    if not url:
        return None
    import redis

    return redis.Redis.from_url(url, socket_connect_timeout=2, socket_timeout=2)


class Heartbeat:
    """A daemon thread writing this process's heartbeat until :meth:`stop` (no-op without Redis)."""

    def __init__(self, kind: str) -> None:
        self.key = f"{PREFIX}{socket.gethostname()}:{os.getpid()}"
        self._value = json.dumps({"kind": kind, "pid": os.getpid(), "started_at": time.time()})
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None

    def start(self) -> Heartbeat:
        """Start beating (returns self); does nothing when ``REDIS_URL`` is not set."""
        if get_settings().redis_url and self._thread is None:
            self._thread = threading.Thread(target=self._run, name="agenthub-heartbeat", daemon=True)
            self._thread.start()
        return self

    def _run(self) -> None:
        client = _client()
        while not self._stop.is_set():
            try:
                client.set(self.key, self._value, ex=TTL_S)
            except Exception as exc:  # noqa: BLE001  (Redis down: try again at the next beat)
                log.warning("worker heartbeat failed: %s", type(exc).__name__)
            self._stop.wait(EVERY_S)
        try:
            client.delete(self.key)
        except Exception:  # noqa: BLE001,S110  (expires by itself)
            pass

    def stop(self) -> None:
        """Stop beating and remove the heartbeat (a graceful exit is not counted as alive)."""
        self._stop.set()
        if self._thread is not None:
            self._thread.join(5)
            self._thread = None


def live_workers() -> int | None:
    """How many workers wrote a heartbeat in the last ``TTL_S`` seconds; None without ``REDIS_URL``.

    Raises:
        redis.RedisError: when Redis cannot be reached.
    """
    client = _client()
    if client is None:
        return None
    try:
        return sum(1 for _ in client.scan_iter(match=f"{PREFIX}*", count=100))
    finally:
        client.close()
