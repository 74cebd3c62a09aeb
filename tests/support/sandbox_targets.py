"""Functions the sandbox tests run in a worker process (they must be importable by name)."""

from __future__ import annotations

import os
import time


def child_pid() -> int:
    """The worker's process id."""
    return os.getpid()


def sleep_for(seconds: float) -> str:
    """Sleep ``seconds`` then return ``"woke"``."""
    time.sleep(seconds)
    return "woke"


def allocate(megabytes: int) -> int:
    """Hold ``megabytes`` MB of memory (10**6 bytes), returning how many bytes were held."""
    blocks = [bytearray(1_000_000) for _ in range(megabytes)]
    return sum(len(b) for b in blocks)


def die_hard() -> None:
    """End the process without Python's clean-up, as a crash in a C parser would."""
    os._exit(7)


def raise_value_error(message: str) -> None:
    """Raise ``ValueError(message)``."""
    raise ValueError(message)


def environment_value(name: str) -> str | None:
    """``os.environ.get(name)`` in the worker."""
    return os.environ.get(name)
