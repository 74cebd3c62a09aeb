"""Throttling of failed sign-ins with the ``limits`` library.

Storage is in memory in the embedded default and Redis when ``REDIS_URL`` is set, so several
worker processes share one count.
"""

from __future__ import annotations

import math
import time
from functools import lru_cache

from limits import RateLimitItemPerMinute, storage, strategies

from backend.config import get_settings


class SignInThrottle:
    """Counts failed sign-ins per email and per client IP in a moving one-minute window.

    Args:
        per_minute: failures allowed per key each minute (the issue asks for 5).
        storage_uri: a ``limits`` storage URI (``memory://`` or ``redis://…``).
    """

    def __init__(self, per_minute: int = 5, storage_uri: str = "memory://") -> None:
        self._item = RateLimitItemPerMinute(per_minute)
        self._limiter = strategies.MovingWindowRateLimiter(storage.storage_from_string(storage_uri))

    def _keys(self, email: str, ip: str | None) -> list[tuple[str, str]]:
        keys = [("signin-email", email.strip().lower())]
        if ip:
            keys.append(("signin-ip", ip))
        return keys

    def retry_after(self, email: str, ip: str | None) -> int | None:
        """Seconds until another attempt is allowed, or ``None`` when not throttled."""
        waits = []
        for key in self._keys(email, ip):
            if not self._limiter.test(self._item, *key):
                reset = self._limiter.get_window_stats(self._item, *key).reset_time
                waits.append(max(1, math.ceil(reset - time.time())))
        return max(waits) if waits else None

    def record_failure(self, email: str, ip: str | None) -> None:
        """Count one failed sign-in against the email and the IP."""
        for key in self._keys(email, ip):
            self._limiter.hit(self._item, *key)


@lru_cache(maxsize=1)
def get_signin_throttle() -> SignInThrottle:
    """The process-wide throttle configured from settings."""
    settings = get_settings()
    uri = settings.redis_url or "memory://"
    return SignInThrottle(settings.signin_attempts_per_minute, uri)
