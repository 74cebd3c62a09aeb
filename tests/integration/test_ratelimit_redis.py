"""Two processes sharing Redis enforce one rate limit (the ``limits`` Redis storage)."""

from __future__ import annotations

import os
import subprocess
import sys
import textwrap
import uuid
from pathlib import Path

import pytest

REDIS_URL = os.environ.get("TEST_REDIS_URL", "redis://127.0.0.1:6379/0")
ROOT = Path(__file__).resolve().parents[2]

WORKER = textwrap.dedent(
    """
    import asyncio, sys
    from backend.gateway.ratelimit import RateLimited, RateLimiter, RateRule, storage_uri

    async def main(prefix: str, attempts: int) -> None:
        limiter = RateLimiter(storage_uri(sys.argv[3]), key_prefix=prefix)
        rule = RateRule("ws", "agent", "shared", 10, None)
        await limiter.acquire([RateRule("ws", "agent", "warm-up", 1000, None)])  # connect first
        print("ready", flush=True)
        sys.stdin.readline()  # the start signal: both processes begin together
        admitted = 0
        for _ in range(attempts):
            try:
                await limiter.acquire([rule])
                admitted += 1
            except RateLimited:
                pass
            await asyncio.sleep(0.005)  # interleave with the other process
        print(admitted, flush=True)

    asyncio.run(main(sys.argv[1], int(sys.argv[2])))
    """
)


def _redis_up() -> bool:
    try:
        import redis

        return bool(redis.Redis.from_url(REDIS_URL, socket_connect_timeout=1).ping())
    except Exception:
        return False


@pytest.mark.skipif(not _redis_up(), reason="Redis is not running")
def test_two_processes_share_one_rate_limit() -> None:
    prefix = f"agenthub-test-{uuid.uuid4().hex[:10]}"
    env = {**os.environ, "PYTHONPATH": str(ROOT), "LITELLM_LOCAL_MODEL_COST_MAP": "True"}
    procs = [
        subprocess.Popen(
            [sys.executable, "-c", WORKER, prefix, "25", REDIS_URL],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
            cwd=ROOT,
            env=env,
        )
        for _ in range(2)
    ]
    try:
        for proc in procs:
            assert proc.stdout is not None and proc.stdout.readline().strip() == "ready"
        for proc in procs:
            assert proc.stdin is not None
            proc.stdin.write("go\n")
            proc.stdin.flush()
        outputs = [p.communicate(timeout=60) for p in procs]
    finally:
        import redis

        client = redis.Redis.from_url(REDIS_URL)
        for key in client.scan_iter(f"{prefix}*"):
            client.delete(key)
    for proc, (out, err) in zip(procs, outputs, strict=True):
        assert proc.returncode == 0, err
    admitted = [int(out.strip()) for out, _ in outputs]
    assert all(n > 0 for n in admitted), admitted  # both processes really competed
    assert 10 <= sum(admitted) <= 10 + 2, admitted  # one limit of 10/min across both (overshoot <= 2)
