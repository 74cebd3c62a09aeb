"""Rate limits after Redis restarts empty (issue 17, fault 3): the windows start afresh, and the
limits hold again at once: the N+1th call of the new window is refused with the clear message.

A private ``redis-server`` (no persistence), killed and started again on the same port, with one
long-lived limiter (as in an app process: its connection pool outlives the restart).
"""

from __future__ import annotations

import asyncio
import shutil

import pytest

from backend.gateway.ratelimit import RateLimited, RateLimiter, RateRule, storage_uri
from tests.support.scaleout import RedisServer

pytestmark = pytest.mark.skipif(shutil.which("redis-server") is None, reason="needs redis-server")


async def _admitted(limiter: RateLimiter, rule: RateRule, attempts: int) -> tuple[int, list[str]]:
    """How many of ``attempts`` calls ``rule`` admits, and the refusals' messages."""
    admitted, refusals = 0, []
    for _ in range(attempts):
        try:
            await limiter.acquire([rule])
            admitted += 1
        except RateLimited as exc:
            refusals.append(exc.message)
    return admitted, refusals


@pytest.mark.parametrize(
    ("scope", "words"), [("agent", "this agent's limit is 3 requests per minute"), ("api_key", "this API key's")]
)
def test_limits_hold_again_after_redis_restarts_empty(tmp_path, scope: str, words: str) -> None:  # type: ignore[no-untyped-def]
    server = RedisServer(tmp_path).start()
    rule = RateRule("ws-restart", scope, f"{scope}-1", 3, None)

    async def scenario() -> None:
        limiter = RateLimiter(storage_uri(server.url), key_prefix="restart-test")
        admitted, refusals = await _admitted(limiter, rule, 4)
        assert admitted == 3 and len(refusals) == 1 and words in refusals[0], refusals
        server.stop()
        server.start()  # empty: every window is gone
        admitted, refusals = await _admitted(limiter, rule, 5)
        # The window restarted empty: 3 more calls pass, and then the limit holds again
        # (not failing open: the first call after the restart reconnects and is counted).
        assert admitted == 3, refusals
        assert len(refusals) == 2
        assert all(m.startswith("rate limited — retry in ") and words in m for m in refusals), refusals

    try:
        asyncio.run(scenario())
    finally:
        server.stop()
