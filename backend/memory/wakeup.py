"""Wake the background worker when work is queued: services call :func:`notify`, workers listen.

Kept apart from the worker so the services that queue work (knowledge, embeddings) need not
import the worker that runs it.
"""

from __future__ import annotations

import threading
from collections.abc import Callable

_listeners: list[Callable[[], None]] = []
_lock = threading.Lock()


def listen(callback: Callable[[], None]) -> None:
    """Call ``callback`` (it must be quick and thread-safe) on every :func:`notify`."""
    with _lock:
        _listeners.append(callback)


def unlisten(callback: Callable[[], None]) -> None:
    """Stop calling ``callback``; unknown callbacks are ignored."""
    with _lock:
        if callback in _listeners:
            _listeners.remove(callback)


def notify() -> None:
    """Wake every listening worker of this process: new work was queued (call after commit)."""
    with _lock:
        listeners = list(_listeners)
    for callback in listeners:
        callback()
