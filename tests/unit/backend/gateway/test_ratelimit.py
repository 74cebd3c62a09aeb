"""Rate limits with the ``limits`` library (memory storage here; Redis in tests/integration)."""

from __future__ import annotations

import pytest

from backend.config import get_settings
from backend.gateway.ratelimit import RateLimited, RateLimiter, RateRule, get_rate_limiter, storage_uri


def _rule(rpm: int | None = None, tpm: int | None = None, scope: str = "agent", sid: str = "a1") -> RateRule:
    return RateRule("ws1", scope, sid, rpm, tpm)


async def test_requests_per_minute_admit_n_then_refuse_with_wait(limiter: RateLimiter) -> None:
    rule = _rule(rpm=3)
    for _ in range(3):
        await limiter.acquire([rule])
    with pytest.raises(RateLimited) as info:
        await limiter.acquire([rule])
    assert info.value.message.startswith("rate limited — retry in ")
    assert info.value.message.endswith("s (this agent's limit is 3 requests per minute)")
    assert 1 <= (info.value.retry_after_s or 0) <= 60 and info.value.status_code is None
    assert (info.value.scope, info.value.scope_id) == ("agent", "a1")


async def test_a_refused_call_is_not_counted_by_other_rules(limiter: RateLimiter) -> None:
    workspace, agent = _rule(rpm=2, scope="workspace", sid="ws1"), _rule(rpm=1)
    await limiter.acquire([workspace, agent])
    with pytest.raises(RateLimited, match="this agent's limit"):
        await limiter.acquire([workspace, agent])
    await limiter.acquire([workspace])  # the refused call did not use the workspace's second slot
    with pytest.raises(RateLimited, match="this workspace's limit"):
        await limiter.acquire([workspace])


async def test_rules_are_independent_per_scope_id(limiter: RateLimiter) -> None:
    await limiter.acquire([_rule(rpm=1, sid="a1")])
    await limiter.acquire([_rule(rpm=1, sid="a2")])
    await limiter.acquire([_rule(rpm=1, scope="end_user", sid="a1")])


async def test_tokens_per_minute_count_actual_tokens_afterwards(limiter: RateLimiter) -> None:
    rule = _rule(tpm=100, scope="end_user", sid="u1")
    await limiter.acquire([rule])
    await limiter.record_tokens([rule], 60)
    await limiter.acquire([rule])
    await limiter.record_tokens([rule], 60)  # 120 of 100: the call already ran, it is counted
    with pytest.raises(RateLimited, match="your limit is 100 tokens per minute"):
        await limiter.acquire([rule])


async def test_no_rules_admit_everything(limiter: RateLimiter) -> None:
    for _ in range(100):
        await limiter.acquire([])


async def test_unreachable_redis_fails_open() -> None:
    limiter = RateLimiter("async+redis://127.0.0.1:1", key_prefix="unreachable")
    await limiter.acquire([_rule(rpm=1)])
    await limiter.acquire([_rule(rpm=1)])


def test_storage_uri_follows_redis_url(monkeypatch: pytest.MonkeyPatch) -> None:
    assert storage_uri(None) == "async+memory://"
    assert storage_uri("redis://127.0.0.1:6379/0") == "async+redis://127.0.0.1:6379/0"
    assert storage_uri("rediss://h:6380") == "async+rediss://h:6380"
    monkeypatch.setenv("REDIS_URL", "redis://127.0.0.1:6379/0")
    get_settings.cache_clear()
    get_rate_limiter.cache_clear()
    try:
        assert get_rate_limiter().uri == "async+redis://127.0.0.1:6379/0"
    finally:
        monkeypatch.delenv("REDIS_URL")
        get_settings.cache_clear()
        get_rate_limiter.cache_clear()


def test_memory_limits_hold_across_event_loops_of_one_process() -> None:
    """The app's loop and the in-process worker's loop share one count: a user cannot double a
    limit by spreading calls over both (memory storage used to be one per loop)."""
    import asyncio
    import threading

    limiter, rule = RateLimiter("async+memory://"), _rule(rpm=2)
    asyncio.run(limiter.acquire([rule]))
    refused: list[BaseException] = []

    def other_loop() -> None:
        async def two_calls() -> None:
            await limiter.acquire([rule])
            await limiter.acquire([rule])

        try:
            asyncio.run(two_calls())
        except RateLimited as exc:
            refused.append(exc)

    thread = threading.Thread(target=other_loop)
    thread.start()
    thread.join()
    assert len(refused) == 1 and "2 requests per minute" in str(refused[0])


async def test_memory_limits_start_no_worker_threads(limiter: RateLimiter) -> None:
    """Counting in memory stays on the loop: limits' asyncio memory storage hopped to a worker
    thread once per stored key on every hit, contending with the gateway's database work."""
    import asyncio

    loop = asyncio.get_running_loop()
    hops: list[object] = []
    original = loop.run_in_executor

    def counting(executor: object, func: object, *args: object) -> asyncio.Future[object]:
        hops.append(func)
        return original(executor, func, *args)  # type: ignore[arg-type]

    loop.run_in_executor = counting  # type: ignore[method-assign]
    try:
        for sid in ("a1", "a2", "a3"):
            await limiter.acquire([_rule(rpm=5, tpm=1000, sid=sid)])
            await limiter.record_tokens([_rule(rpm=5, tpm=1000, sid=sid)], 10)
        await asyncio.sleep(0.05)  # the old storage's expiry task ran here
    finally:
        loop.run_in_executor = original  # type: ignore[method-assign]
    assert hops == []
