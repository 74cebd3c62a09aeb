"""The worker process that runs parsers: results come back, and timeouts, memory and crashes
are contained in the worker and reported as distinct errors."""

from __future__ import annotations

import os
import time

import pytest

from backend.sandbox import SandboxCrashed, SandboxMemory, SandboxTimeout, run_isolated
from tests.support import sandbox_targets as targets


async def test_the_function_runs_in_another_process_and_its_result_comes_back() -> None:
    assert await run_isolated(targets.child_pid, timeout_s=30, memory_mb=256) != os.getpid()
    assert await run_isolated(targets.sleep_for, 0.01, timeout_s=30, memory_mb=256) == "woke"


async def test_a_raised_exception_is_raised_again_in_the_caller() -> None:
    with pytest.raises(ValueError, match="bad file"):
        await run_isolated(targets.raise_value_error, "bad file", timeout_s=30, memory_mb=256)


async def test_a_slow_worker_is_killed_at_its_time_limit() -> None:
    started = time.monotonic()
    with pytest.raises(SandboxTimeout):
        await run_isolated(targets.sleep_for, 60, timeout_s=1, memory_mb=256)
    assert time.monotonic() - started < 10


async def test_a_worker_over_its_memory_budget_is_stopped() -> None:
    with pytest.raises(SandboxMemory):
        await run_isolated(targets.allocate, 600, timeout_s=30, memory_mb=200)


async def test_a_crashed_worker_is_reported() -> None:
    with pytest.raises(SandboxCrashed):
        await run_isolated(targets.die_hard, timeout_s=30, memory_mb=256)


async def test_the_worker_does_not_see_the_apps_secrets(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("AGENTHUB_MASTER_KEYS", "k1:c2VjcmV0")
    assert await run_isolated(targets.environment_value, "AGENTHUB_MASTER_KEYS", timeout_s=30, memory_mb=256) is None
