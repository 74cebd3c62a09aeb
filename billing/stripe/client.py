"""The Stripe client of Stripe mode, built from :mod:`billing.settings`, and idempotency keys.

Every call goes through :func:`stripe_client` (the official SDK's ``StripeClient``; no global
``stripe.api_key``), so the key lives only in the client object and is never logged.
``STRIPE_API_BASE`` points every base address (API, Connect, files, meter events) at one server
(the tests' local Stripe server).
"""

from __future__ import annotations

import functools
import hashlib
import json
from typing import Any

import stripe

from billing.settings import get_billing_settings

NETWORK_RETRIES = 2
"""The SDK's own retries of a failed connection or 5xx/409/429 (it resends the same
``Idempotency-Key``, so a retried create never creates twice)."""


class StripeNotConfigured(RuntimeError):
    """Stripe mode is off (no ``STRIPE_SECRET_KEY``): Stripe functions may not be called."""


def stripe_client(api_key: str | None = None) -> stripe.StripeClient:
    """A ``StripeClient`` for the configured account (or for ``api_key``, e.g. a meter event
    session's token).

    Raises:
        StripeNotConfigured: no ``STRIPE_SECRET_KEY`` and no ``api_key``.
    """
    settings = get_billing_settings()
    if api_key is None:
        if not settings.stripe_mode or settings.stripe_secret_key is None:
            raise StripeNotConfigured("Stripe is not configured (set STRIPE_SECRET_KEY).")
        api_key = settings.stripe_secret_key.get_secret_value()
    return _client(api_key, settings.stripe_api_base)


@functools.lru_cache(maxsize=8)
def _client(api_key: str, base: str | None) -> stripe.StripeClient:
    """One client per key and base, kept: its HTTP client reuses connections (keep-alive) and
    loads the CA bundle once, instead of once per call (~20 ms each under load; the metering
    worker calls once per batch of 100 events)."""
    addresses: Any = None
    if base:
        base = base.rstrip("/")
        addresses = {"api": base, "connect": base, "files": base, "meter_events": base}
    return stripe.StripeClient(api_key, base_addresses=addresses, max_network_retries=NETWORK_RETRIES)


def idempotency_key(action: str, *parts: object) -> str:
    """A deterministic ``Idempotency-Key`` for one create, from our ids: ``agenthub-<action>-<ids>``
    (hashed when longer than Stripe's 255 characters). The same action on the same rows sends the
    same key, so a retry after a lost response returns the first object instead of a second one.
    """
    key = "-".join(["agenthub", action, *(str(p) for p in parts)])
    if len(key) > 255:
        key = f"agenthub-{action}-{hashlib.sha256(key.encode()).hexdigest()}"
    return key


def params_digest(params: object) -> str:
    """16 hex characters of SHA-256 over the JSON of ``params``: part of an idempotency key when
    the same rows may be sent with other parameters (Stripe refuses a reused key with new ones)."""
    return hashlib.sha256(json.dumps(params, sort_keys=True, default=str).encode()).hexdigest()[:16]


def safe_error(exc: Exception) -> str:
    """A short description of a Stripe failure for our rows and logs: the error class and Stripe's
    message (which never contains the secret key), at most 500 characters."""
    message = getattr(exc, "user_message", None) or str(exc) or ""
    return f"{type(exc).__name__}: {message}"[:500]
