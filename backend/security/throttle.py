"""Throttling of sign-in and sign-up with the ``limits`` library.

Storage is in memory in the embedded default and Redis when ``REDIS_URL`` is set, so several
worker processes share one count.

Failed sign-ins are counted so that a stranger cannot lock the owner out (OWASP
Authentication Cheat Sheet, "Account lockout"): a hard stop applies per (email, IP) pair and
per IP, never per email alone; per email there is only a progressive delay, capped at
``MAX_EMAIL_DELAY_S``, so the owner signing in from their own address always gets through.
"""

from __future__ import annotations

import math
import time
from functools import lru_cache

from limits import RateLimitItem, RateLimitItemPerHour, RateLimitItemPerMinute, parse, storage, strategies

from backend.config import get_settings

MAX_EMAIL_DELAY_S = 8.0
_EMAIL_WINDOW = "1000 per 15 minutes"  # a counter only: the delay grows with the failures in it


class SignInThrottle:
    """Counts failed sign-ins and sign-up attempts in moving windows.

    Args:
        per_minute: failed sign-ins allowed per (email, IP) pair each minute (5).
        storage_uri: a ``limits`` storage URI (``memory://`` or ``redis://…``).
        per_ip_per_minute: failed sign-ins allowed per IP each minute, across emails
            (default ``4 * per_minute``: an office behind one NAT still signs in).
        signups_per_hour: sign-up attempts allowed per IP each hour (``per_minute`` per email
            each minute as well).
    """

    def __init__(
        self,
        per_minute: int = 5,
        storage_uri: str = "memory://",
        per_ip_per_minute: int | None = None,
        signups_per_hour: int = 20,
    ) -> None:
        self._per_minute = per_minute
        self._pair: RateLimitItem = RateLimitItemPerMinute(per_minute)
        self._ip: RateLimitItem = RateLimitItemPerMinute(per_ip_per_minute or 4 * per_minute)
        self._email_window: RateLimitItem = parse(_EMAIL_WINDOW)
        self._signup_ip: RateLimitItem = RateLimitItemPerHour(signups_per_hour)
        self._signup_email: RateLimitItem = RateLimitItemPerMinute(per_minute)
        self._limiter = strategies.MovingWindowRateLimiter(storage.storage_from_string(storage_uri))

    def _signin_keys(self, email: str, ip: str | None) -> list[tuple[RateLimitItem, tuple[str, ...]]]:
        email = email.strip().lower()
        keys: list[tuple[RateLimitItem, tuple[str, ...]]] = [(self._pair, ("signin-pair", email, ip or "?"))]
        if ip:
            keys.append((self._ip, ("signin-ip", ip)))
        return keys

    def _wait(self, keys: list[tuple[RateLimitItem, tuple[str, ...]]]) -> int | None:
        waits = []
        for item, key in keys:
            if not self._limiter.test(item, *key):
                reset = self._limiter.get_window_stats(item, *key).reset_time
                waits.append(max(1, math.ceil(reset - time.time())))
        return max(waits) if waits else None

    def retry_after(self, email: str, ip: str | None) -> int | None:
        """Seconds until this (email, IP) may try to sign in again, or ``None`` when allowed."""
        return self._wait(self._signin_keys(email, ip))

    def record_failure(self, email: str, ip: str | None) -> None:
        """Count one failed sign-in against the (email, IP) pair, the IP and the email."""
        for item, key in self._signin_keys(email, ip):
            self._limiter.hit(item, *key)
        self._limiter.hit(self._email_window, "signin-email", email.strip().lower())

    def email_delay_s(self, email: str) -> float:
        """Progressive delay before checking a password for ``email``, seconds.

        0 until ``per_minute`` failures for the email in 15 minutes (from any IP), then
        0.5 s doubling per further failure, capped at ``MAX_EMAIL_DELAY_S`` (8 s). Await it
        (``asyncio.sleep``) before the check; it slows guessing but never refuses the owner.
        """
        stats = self._limiter.get_window_stats(self._email_window, "signin-email", email.strip().lower())
        failures = self._email_window.amount - stats.remaining
        if failures < self._per_minute:
            return 0.0
        return float(min(MAX_EMAIL_DELAY_S, 0.5 * 2 ** (failures - self._per_minute)))

    def signup_retry_after(self, email: str, ip: str | None) -> int | None:
        """Seconds until another sign-up attempt is allowed from ``ip`` for ``email``, or ``None``."""
        return self._wait(self._signup_keys(email, ip))

    def record_signup(self, email: str, ip: str | None) -> None:
        """Count one sign-up attempt against the IP and the email."""
        for item, key in self._signup_keys(email, ip):
            self._limiter.hit(item, *key)

    def _signup_keys(self, email: str, ip: str | None) -> list[tuple[RateLimitItem, tuple[str, ...]]]:
        keys: list[tuple[RateLimitItem, tuple[str, ...]]] = [
            (self._signup_email, ("signup-email", email.strip().lower()))
        ]
        if ip:
            keys.append((self._signup_ip, ("signup-ip", ip)))
        return keys


@lru_cache(maxsize=1)
def get_signin_throttle() -> SignInThrottle:
    """The process-wide throttle configured from settings."""
    settings = get_settings()
    uri = settings.redis_url or "memory://"
    return SignInThrottle(settings.signin_attempts_per_minute, uri, signups_per_hour=settings.signup_attempts_per_hour)
