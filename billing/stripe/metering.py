"""Metered runs -> Stripe Meter Events, batched on Stripe's v2 meter event stream.

Each metered :class:`RunCharge` of a Stripe-mode subscription becomes one Meter Event
(``event_name`` of the listing's meter, ``identifier`` = the charge's ``usage_record_id``,
``timestamp`` = ``occurred_at``, payload ``stripe_customer_id`` and ``value`` ``"1"``). Up to 100
events go in one ``POST /v2/billing/meter_event_stream`` (authenticated by a meter event
session's token, valid 15 minutes, renewed when it expires) with an idempotency key from the
batch's identifiers. The rows of a batch are claimed (``FOR UPDATE SKIP LOCKED`` on PostgreSQL,
so concurrent senders take different rows and hold only those rows' locks during the call; on
SQLite a process-wide lock serializes the senders instead of holding the database's write lock
over the network), sent and marked in one transaction; a failed batch records ``meter_attempts``, ``meter_error``
and ``meter_next_attempt_at`` (exponential backoff, 30 s doubling to at most 1 h). Should a crash
lose the commit after Stripe accepted a batch, the resend carries the same identifiers, which
Stripe deduplicates (within 24 hours), so a run is never billed twice.

The stream validates events asynchronously: an event Stripe later rejects (e.g. older than 35
days) is not reported here; :func:`billing.stripe.reconcile.reconcile_stripe` finds it.
"""

from __future__ import annotations

import contextlib
import logging
import threading
from datetime import UTC, datetime, timedelta
from typing import Any

import stripe
from sqlmodel import Session, col, or_, select

from backend.db import get_engine, session_scope
from backend.models import BillingCustomer, BillingSubscription, ListingPrice, RunCharge
from backend.models.common import utcnow
from billing.settings import get_billing_settings
from billing.stripe.client import idempotency_key, params_digest, safe_error, stripe_client

log = logging.getLogger(__name__)

BATCH_SIZE = 100
"""Events per stream request (Stripe's maximum)."""
BACKOFF_BASE_S = 30
BACKOFF_CAP_S = 3600

_token_lock = threading.Lock()
_send_lock = threading.Lock()  # SQLite has no row locks: one sender per process
_tokens: dict[str, tuple[str, datetime]] = {}  # API base -> (session token, expires at)


def backoff_seconds(attempts: int) -> int:
    """Delay before attempt ``attempts + 1``: 30 s, 60 s, 120 s, ... at most 3,600 s."""
    return int(min(BACKOFF_BASE_S * 2 ** max(attempts - 1, 0), BACKOFF_CAP_S))


def _aware(moment: datetime) -> datetime:
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)


def _session_token(*, renew: bool = False) -> str:
    """A meter event session's authentication token (cached until a minute before it expires)."""
    base = get_billing_settings().stripe_api_base or "stripe"
    with _token_lock:
        cached = _tokens.get(base)
        if cached and not renew and cached[1] > utcnow() + timedelta(minutes=1):
            return cached[0]
        made = stripe_client().v2.billing.meter_event_session.create()
        expires = datetime.fromisoformat(str(made.expires_at).replace("Z", "+00:00"))
        _tokens[base] = (made.authentication_token, _aware(expires))
        return made.authentication_token


def _post(events: list[dict[str, Any]]) -> None:
    key = idempotency_key("meter-events", params_digest(sorted(e["identifier"] for e in events)))
    params: Any = {"events": events}
    try:
        stripe_client(_session_token()).v2.billing.meter_event_stream.create(params, {"idempotency_key": key})
    except (stripe.TemporarySessionExpiredError, stripe.AuthenticationError):
        stripe_client(_session_token(renew=True)).v2.billing.meter_event_stream.create(params, {"idempotency_key": key})


def _claim(session: Session, now: datetime, size: int) -> list[tuple[RunCharge, str | None, str | None]]:
    stmt = (
        select(RunCharge, BillingCustomer.stripe_customer_id, ListingPrice.meter_event_name)
        .join(BillingSubscription, col(BillingSubscription.id) == col(RunCharge.billing_subscription_id))
        .outerjoin(BillingCustomer, col(BillingCustomer.user_id) == col(BillingSubscription.user_id))
        .outerjoin(ListingPrice, col(ListingPrice.listing_id) == col(BillingSubscription.listing_id))
        .where(
            col(RunCharge.metered).is_(True),
            col(RunCharge.meter_sent_at).is_(None),
            BillingSubscription.provider == "stripe",
            or_(col(RunCharge.meter_next_attempt_at).is_(None), col(RunCharge.meter_next_attempt_at) <= now),
        )
        .order_by(col(RunCharge.occurred_at), col(RunCharge.id))
        .limit(size)
        .with_for_update(of=RunCharge, skip_locked=True)  # type: ignore[arg-type]
    )
    return [(row[0], row[1], row[2]) for row in session.exec(stmt).all()]


def _failed(charge: RunCharge, error: str, now: datetime) -> None:
    charge.meter_attempts += 1
    charge.meter_error = error[:500]
    charge.meter_next_attempt_at = now + timedelta(seconds=backoff_seconds(charge.meter_attempts))


def meter_event(charge: RunCharge, *, customer_id: str, event_name: str) -> dict[str, Any]:
    """The v2 Meter Event of one charge: ``{"event_name", "identifier", "timestamp" (RFC 3339 UTC),
    "payload": {"stripe_customer_id", "value": "1"}}``."""
    stamp = _aware(charge.occurred_at).astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")
    return {
        "event_name": event_name,
        "identifier": charge.usage_record_id,
        "timestamp": stamp,
        "payload": {"stripe_customer_id": customer_id, "value": "1"},
    }


def _send_batch(size: int) -> tuple[int, int]:
    """Claim, send and mark one batch; returns (claimed, sent)."""
    with session_scope() as session:
        now = utcnow()
        rows = _claim(session, now, size)
        ready: list[RunCharge] = []
        events: list[dict[str, Any]] = []
        for charge, customer_id, event_name in rows:
            if not customer_id or not event_name:
                _failed(charge, "The subscriber has no Stripe customer or the listing no meter yet.", now)
            else:
                ready.append(charge)
                events.append(meter_event(charge, customer_id=customer_id, event_name=event_name))
            session.add(charge)
        if events:
            try:
                _post(events)
            except stripe.StripeError as exc:
                error = safe_error(exc)
                log.warning("Meter events not accepted (%d runs): %s", len(events), error)
                for charge in ready:
                    _failed(charge, error, now)
                return len(rows), 0
            for charge in ready:
                charge.meter_sent_at, charge.meter_error, charge.meter_next_attempt_at = utcnow(), "", None
        return len(rows), len(ready)


def send_pending_meter_events(*, limit: int = 500) -> int:
    """Send the due metered runs of Stripe-mode subscriptions as Meter Events, at most ``limit``.

    Due: ``metered``, ``meter_sent_at`` null, ``meter_next_attempt_at`` null or past. Runs whose
    subscriber has no Stripe customer (or listing no meter) wait with a backoff like failures.
    Returns how many events Stripe accepted (their rows now have ``meter_sent_at``). Stripe errors
    never raise: they are recorded on the rows and retried later; database errors do raise.
    Blocking (network and database): call it from a worker thread, never the event loop.

    Raises:
        StripeNotConfigured: Stripe mode is off and there is something to send.
    """
    sent = 0
    with _send_lock if get_engine().dialect.name == "sqlite" else contextlib.nullcontext():
        while sent < limit:
            claimed, accepted = _send_batch(min(BATCH_SIZE, limit - sent))
            sent += accepted
            if claimed == 0 or accepted == 0:
                break
    return sent
