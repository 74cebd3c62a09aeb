"""Billing's part of the background worker's maintenance pass (the in-process worker of
``dashboard/app.py`` and ``agenthub worker`` both run it): claim the outbox, renew test-mode
subscriptions (:func:`billing.tick.tick`) and, in Stripe mode, send pending meter events."""

from __future__ import annotations

import logging

from billing.settings import get_billing_settings
from billing.tick import TickResult, tick

log = logging.getLogger(__name__)


def run_billing_pass() -> TickResult:
    """One billing pass (blocking; failures of the Stripe sender are logged, the next pass retries)."""
    result = tick()
    if get_billing_settings().stripe_mode:
        try:
            from billing.stripe.metering import send_pending_meter_events

            send_pending_meter_events()
        except Exception:  # network trouble: the next pass retries
            log.exception("sending meter events to Stripe failed")
    if result.invoices or result.ended or result.errors:
        log.info(
            "billing: %d invoice(s), %d renewal(s), %d ended, %d error(s)",
            result.invoices,
            result.renewed,
            result.ended,
            len(result.errors),
        )
    return result
