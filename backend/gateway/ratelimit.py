"""Rate limits (requests/min and tokens/min) per workspace, agent and end user, via ``limits``.

Storage: ``limits``' in-memory storage by default (one process), its Redis storage when
``REDIS_URL`` is set, so every worker process shares one counter per rule.

- **Requests per minute** use a moving window (``MovingWindowRateLimiter``): a request is
  admitted only if fewer than N were admitted in the last 60 s. On Redis the check-and-add is
  one Lua script, so several processes together admit at most N per window.
- **Tokens per minute** use a fixed window (``FixedWindowRateLimiter``): token counts are only
  known after the call, so a call is admitted while the minute's tokens are below the limit and
  its actual tokens are added afterwards (:meth:`RateLimiter.record_tokens`).

A limited call fails fast with ``RateLimited`` (kind ``rate_limit``): "rate limited — retry
in N s". A storage failure (Redis down) fails open with a warning: limits protect providers'
quotas, the budgets protect money. After Redis restarts empty the windows start afresh; the first
call retries once on a fresh connection, so it is counted and the limits hold again at once.
"""

from __future__ import annotations

import asyncio
import logging
import math
import time
import weakref
from collections.abc import Sequence
from dataclasses import dataclass
from functools import lru_cache
from typing import Any

from limits import RateLimitItem, RateLimitItemPerMinute, WindowStats
from limits import strategies as sync_strategies
from limits.aio.strategies import FixedWindowRateLimiter, MovingWindowRateLimiter
from limits.errors import StorageError
from limits.storage import MemoryStorage, storage_from_string
from sqlalchemy import Select, and_, bindparam, or_, select

from backend.config import get_settings
from backend.db import DbConn, connection_of
from backend.gateway.llm import GatewayError
from backend.models.gateway import RateLimitRule

log = logging.getLogger(__name__)
_SCOPE_WORDS = {
    "workspace": "this workspace's",
    "agent": "this agent's",
    "end_user": "your",
    "api_key": "this API key's",
}


@dataclass(frozen=True)
class RateRule:
    """One rule as the limiter sees it (see :class:`~backend.models.gateway.RateLimitRule`)."""

    workspace_id: str
    scope: str
    scope_id: str
    requests_per_min: int | None
    tokens_per_min: int | None


class RateLimited(GatewayError):
    """A call refused by a gateway rate limit (kind ``rate_limit``, no status code).

    Attributes:
        scope, scope_id: The rule that tripped.
        retry_after_s: Whole seconds until the call would be admitted.
    """

    def __init__(self, rule: RateRule, what: str, retry_after_s: int) -> None:
        owner = _SCOPE_WORDS.get(rule.scope, "the")
        message = f"rate limited — retry in {retry_after_s} s ({owner} limit is {what})"
        super().__init__("rate_limit", message, None, float(retry_after_s))
        self.scope, self.scope_id = rule.scope, rule.scope_id


def _rules_statement() -> Select[Any]:
    r = RateLimitRule.__table__.c  # type: ignore[attr-defined]
    return select(r.workspace_id, r.scope, r.scope_id, r.requests_per_min, r.tokens_per_min).where(
        or_(
            and_(
                r.workspace_id == bindparam("ws"),
                or_(
                    and_(r.scope == "workspace", r.scope_id == bindparam("ws")),
                    and_(r.scope == "agent", r.scope_id == bindparam("agent")),
                    and_(r.scope == "end_user", r.scope_id == bindparam("end_user")),
                ),
            ),
            # an API key's own rule, kept by the key's workspace (which may not be the owner's:
            # a subscriber's key calling a listing)
            and_(r.scope == "api_key", r.scope_id == bindparam("api_key")),
        )
    )


_RULES = _rules_statement()  # built once: this runs on every gateway call


def rules_for(
    session: DbConn,
    *,
    workspace_id: str,
    agent_id: str | None,
    end_user_id: str | None,
    api_key_id: str | None = None,
) -> list[RateRule]:
    """The workspace's rules that bind a call by ``agent_id`` for ``end_user_id``, and the rule
    of the API key ``api_key_id`` that made the call (scope ``api_key``), if any.

    One prebuilt Core statement on the session's connection (no ORM objects: every gateway call
    runs it); a missing agent, end user or key binds ``""``, which no rule of those scopes has.
    """
    params = {"ws": workspace_id, "agent": agent_id or "", "end_user": end_user_id or "", "api_key": api_key_id or ""}
    return [RateRule(*row) for row in connection_of(session).execute(_RULES, params)]


def storage_uri(redis_url: str | None) -> str:
    """``limits`` storage URI: ``async+redis://...`` for a Redis URL, else ``async+memory://``."""
    if not redis_url:
        return "async+memory://"
    return redis_url if redis_url.startswith("async+") else f"async+{redis_url}"


class _OnLoop:
    """A synchronous ``limits`` strategy behind the asyncio strategies' interface.

    In-memory counting takes microseconds and never blocks, so it runs right on the event loop.
    ``limits``' asyncio memory storage (5.x) instead starts an expiry task on every hit that hops
    to a worker thread once per stored key: under load those hops contend with every other
    thread for the GIL (the gateway's database work included) and grow with the number of keys.
    """

    def __init__(self, strategy: sync_strategies.RateLimiter) -> None:
        self._strategy = strategy

    async def test(self, item: RateLimitItem, *ids: str) -> bool:
        """True when one more request fits ``item`` now (nothing is counted)."""
        return self._strategy.test(item, *ids)

    async def hit(self, item: RateLimitItem, *ids: str, cost: int = 1) -> bool:
        """Count ``cost`` under ``item``; False (nothing counted) when it does not fit."""
        return self._strategy.hit(item, *ids, cost=cost)

    async def get_window_stats(self, item: RateLimitItem, *ids: str) -> WindowStats:
        """The window's reset time (epoch seconds) and remaining capacity."""
        return self._strategy.get_window_stats(item, *ids)


class RateLimiter:
    """Checks and records rate limits; one instance per process (see :func:`get_rate_limiter`).

    Memory storage (``async+memory://``) is ``limits``' thread-safe synchronous one, shared by
    every event loop of the process and used on the loop (:class:`_OnLoop`). ``limits``' asyncio
    Redis storage belongs to one event loop (its connections), so it is created per running loop.

    Args:
        uri: ``limits`` storage URI, e.g. ``"async+memory://"`` or ``"async+redis://host:6379/0"``.
        key_prefix: Prefix of every Redis key (tests use a unique one).
    """

    def __init__(self, uri: str = "async+memory://", *, key_prefix: str = "agenthub") -> None:
        self.uri = uri
        self.key_prefix = key_prefix
        self._per_loop: weakref.WeakKeyDictionary[asyncio.AbstractEventLoop, tuple[Any, Any]] = (
            weakref.WeakKeyDictionary()
        )
        self._memory: tuple[Any, Any] | None = None
        if uri.removeprefix("async+") == "memory://":
            storage = MemoryStorage()
            self._memory = (
                _OnLoop(sync_strategies.MovingWindowRateLimiter(storage)),
                _OnLoop(sync_strategies.FixedWindowRateLimiter(storage)),
            )

    def _strategies(self) -> tuple[Any, Any]:
        """(moving window, fixed window) strategies with awaitable ``test``/``hit``/``get_window_stats``."""
        if self._memory is not None:
            return self._memory
        loop = asyncio.get_running_loop()
        found = self._per_loop.get(loop)
        if found is None:
            options: dict[str, str | bool] = {"wrap_exceptions": True}
            if "redis" in self.uri:
                options.update(implementation="redispy", key_prefix=self.key_prefix)
            storage = storage_from_string(self.uri, **options)
            found = (MovingWindowRateLimiter(storage), FixedWindowRateLimiter(storage))
            self._per_loop[loop] = found
        return found

    async def acquire(self, rules: Sequence[RateRule]) -> None:
        """Admit one request under every rule, or refuse it without counting it anywhere.

        Args:
            rules: The rules that apply (:func:`rules_for`); empty admits at once.

        Raises:
            RateLimited: a rule's requests/min or tokens/min is used up for now; the message
                says how many whole seconds to wait and which limit it is.
        """
        if not rules:
            return
        for attempt in (1, 2):
            try:
                await self._check_and_hit(rules)
                return
            except StorageError as exc:
                # A pooled connection that Redis dropped (a restart) fails once; the retry gets a
                # fresh one, so the call is counted in the new window rather than slipping through.
                if attempt == 2:
                    log.warning("rate limit storage unavailable, admitting the call: %s", exc)

    async def _check_and_hit(self, rules: Sequence[RateRule]) -> None:
        """Test every rule, then count the request under each (raises ``RateLimited``/``StorageError``)."""
        moving, fixed = self._strategies()
        for rule in rules:
            ids = (rule.workspace_id, rule.scope, rule.scope_id)
            if rule.requests_per_min and not await moving.test(
                RateLimitItemPerMinute(rule.requests_per_min), "req", *ids
            ):
                raise await self._refusal(rule, "requests")
            if rule.tokens_per_min and not await fixed.test(RateLimitItemPerMinute(rule.tokens_per_min), "tok", *ids):
                raise await self._refusal(rule, "tokens")
        for rule in rules:
            ids = (rule.workspace_id, rule.scope, rule.scope_id)
            if rule.requests_per_min and not await moving.hit(
                RateLimitItemPerMinute(rule.requests_per_min), "req", *ids
            ):
                raise await self._refusal(rule, "requests")  # lost a race since the test above

    async def record_tokens(self, rules: Sequence[RateRule], tokens: int) -> None:
        """Add a finished call's prompt + completion ``tokens`` to every tokens/min rule."""
        if tokens <= 0 or not any(r.tokens_per_min for r in rules):
            return
        _, fixed = self._strategies()
        try:
            for rule in rules:
                if rule.tokens_per_min:
                    item = RateLimitItemPerMinute(rule.tokens_per_min)
                    await fixed.hit(item, "tok", rule.workspace_id, rule.scope, rule.scope_id, cost=tokens)
        except StorageError as exc:
            log.warning("rate limit storage unavailable, tokens not counted: %s", exc)

    async def _refusal(self, rule: RateRule, kind: str) -> RateLimited:
        moving, fixed = self._strategies()
        ids = (rule.workspace_id, rule.scope, rule.scope_id)
        if kind == "requests":
            amount = rule.requests_per_min or 0
            stats = await moving.get_window_stats(RateLimitItemPerMinute(amount), "req", *ids)
        else:
            amount = rule.tokens_per_min or 0
            stats = await fixed.get_window_stats(RateLimitItemPerMinute(amount), "tok", *ids)
        wait = max(1, math.ceil(stats.reset_time - time.time()))
        return RateLimited(rule, f"{amount:,} {kind} per minute", wait)


@lru_cache(maxsize=1)
def get_rate_limiter() -> RateLimiter:
    """The process-wide limiter: Redis storage when ``REDIS_URL`` is set, else memory.

    Clear with ``get_rate_limiter.cache_clear()`` after changing settings (tests).
    """
    return RateLimiter(storage_uri(get_settings().redis_url))
