"""``POST /api/billing/stripe/webhook``: Stripe's events, verified, stored once, applied once.

1. The raw body (at most 1 MiB) is verified with ``stripe.Webhook.construct_event`` against
   ``STRIPE_WEBHOOK_SECRET`` (several secrets may be given comma-separated: the endpoint's own
   and a Connect endpoint's) before anything else: a missing, wrong or stale signature (older than
   the SDK's 300 s tolerance) or a tampered body gets 400 and writes nothing.
2. An event already processed (:class:`StripeEvent`, primary key = Stripe's event id) answers
   200 at once: a repeated delivery is never reprocessed.
3. The event's objects are retrieved from Stripe as they are now (:func:`handlers.fetch`), then
   one transaction stores the event, applies it (:func:`handlers.apply`) and marks it processed.
   Any failure answers 500 (Stripe retries with backoff) and leaves the event stored unprocessed
   with its error.

Blocking work (Stripe calls, database) runs in a thread, never on the event loop.
"""

from __future__ import annotations

import asyncio
import json
import logging
from typing import Any

import stripe
from sqlalchemy.exc import IntegrityError
from starlette.requests import Request
from starlette.responses import JSONResponse
from starlette.routing import Route

from backend.db import session_scope
from backend.models import StripeEvent
from backend.models.common import utcnow
from billing.settings import get_billing_settings
from billing.stripe import handlers
from billing.stripe.client import safe_error, stripe_client

log = logging.getLogger(__name__)

MAX_BODY_BYTES = 1024 * 1024
"""Stripe's event payloads are far smaller; anything bigger is refused unread (413)."""


def _secrets() -> list[str]:
    secret = get_billing_settings().stripe_webhook_secret
    value = secret.get_secret_value() if secret is not None else ""
    return [s.strip() for s in value.split(",") if s.strip()]


def verify(payload: bytes, signature: str) -> dict[str, Any]:
    """The event of a correctly signed ``payload``, as a dict.

    Raises:
        stripe.SignatureVerificationError: no secret matches, or the timestamp is stale.
        ValueError: the body is not a JSON event.
    """
    error: Exception = stripe.SignatureVerificationError("No webhook secret is configured.", signature)
    for secret in _secrets():
        try:
            stripe.Webhook.construct_event(payload, signature, secret)
        except stripe.SignatureVerificationError as exc:
            error = exc
            continue
        event = json.loads(payload)
        if not isinstance(event, dict) or not event.get("id") or not event.get("type"):
            raise ValueError("Not a Stripe event.")
        return event
    raise error


def _processed(event_id: str) -> bool:
    with session_scope() as session:
        stored = session.get(StripeEvent, event_id)
        return stored is not None and stored.processed_at is not None


def _record_failure(event: dict[str, Any], error: str) -> None:
    with session_scope() as session:
        stored = session.get(StripeEvent, event["id"])
        if stored is None:
            stored = StripeEvent(id=event["id"], type=event["type"], stripe_created=int(event.get("created") or 0))
            stored.payload = event
        stored.error = error
        session.add(stored)


def process_event(event: dict[str, Any]) -> str:
    """Apply one verified event once; returns ``"processed"``, ``"duplicate"`` or ``"ignored"``
    (a type we do not handle: stored and marked processed).

    Raises:
        stripe.StripeError: Stripe could not be reached to re-fetch the object.
        Exception: any database error (the transaction rolled back).
    """
    if _processed(event["id"]):
        return "duplicate"
    obj = (event.get("data") or {}).get("object") or {}
    got = handlers.fetch(event["type"], obj, stripe_client()) if event["type"] in handlers.HANDLED else {}
    try:
        with session_scope() as session:
            stored = session.get(StripeEvent, event["id"])
            if stored is None:
                stored = StripeEvent(id=event["id"], type=event["type"], stripe_created=int(event.get("created") or 0))
                stored.payload = event
                session.add(stored)
                session.flush()  # a concurrent delivery of the same event waits here, then fails
            elif stored.processed_at is not None:
                return "duplicate"
            if got:
                handlers.apply(event["type"], got, session)
            stored.processed_at, stored.error = utcnow(), ""
            session.add(stored)
    except IntegrityError:
        if _processed(event["id"]):
            return "duplicate"
        raise
    return "processed" if event["type"] in handlers.HANDLED else "ignored"


async def stripe_webhook(request: Request) -> JSONResponse:
    """Stripe's webhook endpoint: 200 ``{"received": true, "result": ...}`` once stored and
    applied (or already was); 400 bad signature or body; 413 body over 1 MiB; 503 Stripe mode
    off; 500 processing failed (Stripe retries)."""
    if not get_billing_settings().stripe_mode or not _secrets():
        return JSONResponse({"error": "Stripe webhooks are not configured."}, status_code=503)
    if int(request.headers.get("content-length") or 0) > MAX_BODY_BYTES:
        return JSONResponse({"error": "Payload too large."}, status_code=413)
    payload = b""
    async for chunk in request.stream():
        payload += chunk
        if len(payload) > MAX_BODY_BYTES:
            return JSONResponse({"error": "Payload too large."}, status_code=413)
    try:
        event = verify(payload, request.headers.get("stripe-signature", ""))
    except (stripe.SignatureVerificationError, ValueError):
        return JSONResponse({"error": "Invalid signature or payload."}, status_code=400)
    try:
        result = await asyncio.to_thread(process_event, event)
    except Exception as exc:  # noqa: BLE001  (any failure: non-2xx so Stripe retries)
        error = safe_error(exc)
        log.warning("Stripe event %s (%s) failed: %s", event["id"], event["type"], error)
        try:
            await asyncio.to_thread(_record_failure, event, error)
        except Exception:  # noqa: BLE001  (the database may be what failed)
            log.warning("Could not record the failure of Stripe event %s", event["id"])
        return JSONResponse({"error": "Processing failed; Stripe will retry."}, status_code=500)
    return JSONResponse({"received": True, "result": result})


routes: list[Route] = [Route("/api/billing/stripe/webhook", stripe_webhook, methods=["POST"])]
"""The routes the app mounts in its ``/api`` Starlette app."""
