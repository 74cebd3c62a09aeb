"""Running a parser on hostile input in a separate, resource-limited process.

Uploaded files and pasted OpenAPI documents are parsed by :func:`run_isolated`: one short-lived
process per call, forked from a clean ``forkserver`` process (never from the app process, which
has threads and open database/LanceDB handles) that has the parser modules preloaded, so a call
costs a fork (milliseconds) rather than a fresh interpreter. The worker:

- gets an address-space limit (``RLIMIT_AS``: its size at start + ``memory_mb``), so a
  decompression bomb ends in ``MemoryError`` inside the worker instead of an OOM kill of the app;
- gets a CPU-time limit and is killed at its wall-clock ``timeout_s``;
- runs at a lower CPU priority (``nice`` +10), so the app's event loop keeps the CPU it needs;
- sees none of the app's environment (no master key, database URL or provider keys).

At most :data:`MAX_CONCURRENT` workers run at once per app process; further calls wait.
Waiting never blocks the event loop: the result pipe is watched with ``loop.add_reader``.
"""

from __future__ import annotations

import asyncio
import contextlib
import math
import multiprocessing
import os
import resource
import signal
import threading
from collections.abc import Callable
from multiprocessing.connection import Connection
from typing import Any, TypeVar

T = TypeVar("T")

MAX_CONCURRENT = 4
# "__main__" first: the fork server imports the app's entry script once (without running its
# ``if __name__ == "__main__"`` block), so each worker does not import it again.
PRELOAD = ["__main__", "backend.memory.parse_worker", "backend.tools.openapi"]
_EXIT_MEMORY = 86
_KEEP_ENV = ("PATH", "LANG", "LC_ALL", "LC_CTYPE", "TMPDIR", "HOME")
_lock = threading.Lock()
_running = 0
_context: Any = None


class SandboxError(Exception):
    """The worker did not return a result (base class)."""


class SandboxTimeout(SandboxError):
    """The worker ran longer than its time limit and was killed."""


class SandboxMemory(SandboxError):
    """The worker needed more memory than its limit (or the system killed it for memory)."""


class SandboxCrashed(SandboxError):
    """The worker ended without a result (``exitcode``: its exit status, negative for a signal)."""

    def __init__(self, exitcode: int | None) -> None:
        super().__init__(f"the worker process ended with status {exitcode}")
        self.exitcode = exitcode


def _get_context() -> Any:
    global _context
    with _lock:
        if _context is None:
            if "forkserver" in multiprocessing.get_all_start_methods():
                _context = multiprocessing.get_context("forkserver")
                _context.set_forkserver_preload(PRELOAD)
            else:  # pragma: no cover - macOS/Windows
                _context = multiprocessing.get_context("spawn")
        return _context


def _virtual_size() -> int:
    """This process's address-space size in bytes (``VmSize``), or 0 when unknown."""
    try:
        with open("/proc/self/status", encoding="ascii") as fh:
            for line in fh:
                if line.startswith("VmSize:"):
                    return int(line.split()[1]) * 1024
    except (OSError, ValueError, IndexError):
        pass
    return 0


def _harden(memory_bytes: int, cpu_s: int) -> None:
    for name in list(os.environ):
        if name not in _KEEP_ENV:
            del os.environ[name]
    limit = (_virtual_size() or 256_000_000) + memory_bytes
    resource.setrlimit(resource.RLIMIT_AS, (limit, limit))
    resource.setrlimit(resource.RLIMIT_CPU, (cpu_s, cpu_s + 1))
    resource.setrlimit(resource.RLIMIT_CORE, (0, 0))
    with contextlib.suppress(OSError):
        os.nice(10)


def _child(conn: Connection, func: Callable[..., Any], args: tuple[Any, ...], memory_bytes: int, cpu_s: int) -> None:
    """Worker body: limit itself, run ``func(*args)`` and send ``(ok, value or exception)``."""
    try:
        _harden(memory_bytes, cpu_s)
        try:
            reply: tuple[bool, Any] = (True, func(*args))
        except MemoryError:
            os._exit(_EXIT_MEMORY)
        except Exception as exc:  # sent back and raised again in the caller
            reply = (False, exc)
        try:
            conn.send(reply)
        except MemoryError:
            os._exit(_EXIT_MEMORY)
        except Exception as exc:  # an exception that cannot be pickled
            conn.send((False, RuntimeError(f"{type(reply[1]).__name__}: {exc}")))
    finally:
        conn.close()


async def _wait_readable(fd: int, timeout_s: float) -> bool:
    """True once ``fd`` is readable (data or end of file), False after ``timeout_s`` seconds."""
    loop = asyncio.get_running_loop()
    ready: asyncio.Future[None] = loop.create_future()

    def wake() -> None:
        if not ready.done():
            ready.set_result(None)

    loop.add_reader(fd, wake)
    try:
        await asyncio.wait_for(ready, timeout_s)
        return True
    except TimeoutError:
        return False
    finally:
        loop.remove_reader(fd)


async def _slot() -> None:
    global _running
    while True:
        with _lock:
            if _running < MAX_CONCURRENT:
                _running += 1
                return
        await asyncio.sleep(0.05)


def _release() -> None:
    global _running
    with _lock:
        _running -= 1


def _failure(exitcode: int | None) -> SandboxError:
    if exitcode in (_EXIT_MEMORY, -signal.SIGKILL):
        return SandboxMemory("the worker process ran out of memory")
    if exitcode == -signal.SIGXCPU:
        return SandboxTimeout("the worker process used up its CPU time")
    return SandboxCrashed(exitcode)


async def run_isolated(func: Callable[..., T], *args: Any, timeout_s: float, memory_mb: int) -> T:
    """Run ``func(*args)`` in a fresh worker process and return its result.

    Args:
        func: A module-level function (it is imported by name in the worker); its arguments
            and result must be picklable.
        timeout_s: Wall-clock limit in seconds; the worker is killed when it is reached.
        memory_mb: Memory the worker may add to its start size, MB (10**6 bytes).

    Raises:
        SandboxTimeout: the time limit was reached (the worker was killed).
        SandboxMemory: the memory limit was reached (or the system killed the worker).
        SandboxCrashed: the worker died without a result (e.g. a crash in a C extension).
        Exception: whatever ``func`` raised, raised again here.
    """
    ctx = _get_context()
    await _slot()
    try:
        receiver, sender = ctx.Pipe(duplex=False)
        proc = ctx.Process(
            target=_child,
            args=(sender, func, args, memory_mb * 1_000_000, math.ceil(timeout_s) + 1),
            daemon=True,
        )
        try:
            await asyncio.to_thread(proc.start)
        except BaseException:
            receiver.close()
            sender.close()
            raise
        try:
            sender.close()
            if not await _wait_readable(receiver.fileno(), timeout_s):
                raise SandboxTimeout(f"the worker process ran longer than {timeout_s:g} s")
            try:
                ok, value = await asyncio.to_thread(receiver.recv)
            except (EOFError, OSError):
                await asyncio.to_thread(proc.join, 5)
                raise _failure(proc.exitcode) from None
        finally:
            receiver.close()
            if proc.is_alive():
                proc.kill()
            await asyncio.to_thread(proc.join, 5)
    finally:
        _release()
    if ok:
        return value  # type: ignore[no-any-return]
    raise value
