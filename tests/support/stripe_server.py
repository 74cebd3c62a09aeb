"""A local Stripe server for tests (never used by production code): the official ``stripe`` SDK
speaks to it over real HTTP (``STRIPE_API_BASE``).

Why not ``localstripe``: it runs on this Python and aiohttp, but serves none of Prices, Checkout
Sessions, Billing Meters (nor the v2 meter event stream), Connect accounts and account links, or
the Customer Portal, records no ``Idempotency-Key``, and sends webhooks on its own schedule.
This double serves exactly the endpoints ``billing.stripe`` calls, statefully
(:mod:`tests.support.stripe_store`), in the SDK's form encoding (v1) and JSON (v2):

- v1: customers, products, prices, billing meters and their event summaries, checkout sessions,
  billing portal sessions, accounts, account links; ``GET`` of subscriptions, invoices and lines.
- v2: ``POST /v2/billing/meter_event_session`` and ``/v2/billing/meter_event_stream`` (batches of
  at most 100 events, authenticated by the session's token; identifiers deduplicated as Stripe
  does).

Every POST honours ``Idempotency-Key`` like Stripe: the same key replays the first response (and
a different body with the same key is a 400). Tests drive Stripe-side actions on
:attr:`StripeTestServer.store` and deliver signed webhook events with :meth:`deliver`::

    with StripeTestServer() as stripe_server:
        stripe_server.fail_next("/v2/billing/meter_event_stream", status=500)
        sub = stripe_server.store.complete_checkout(session_id)
        status = stripe_server.deliver(stripe_server.store.event("customer.subscription.created", sub), url)
"""

from __future__ import annotations

import calendar
import hashlib
import hmac
import json
import re
import socket
import threading
import time
from collections import defaultdict
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import parse_qsl

import httpx
import uvicorn
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from tests.support.stripe_store import StripeInputError, StripeStore, new_id

API_KEY = "sk_test_agenthub_local_0123456789"
WEBHOOK_SECRET = "whsec_test_agenthub_local_secret"


@dataclass(frozen=True)
class RecordedRequest:
    """One request: ``params`` decoded (nested dicts/lists), ``idempotency_key`` or None."""

    method: str
    path: str
    params: dict[str, Any]
    idempotency_key: str | None
    status: int = 0
    headers: dict[str, str] = field(default_factory=dict)


def decode_form(body: str) -> dict[str, Any]:
    """Stripe's form encoding -> nested dicts; ``a[0][b]`` keys become lists."""
    root: dict[str, Any] = {}
    for key, value in parse_qsl(body, keep_blank_values=True):
        parts = re.findall(r"[^\[\]]+", key)
        node = root
        for part in parts[:-1]:
            node = node.setdefault(part, {})
        node[parts[-1]] = value

    def lists(node: Any) -> Any:
        if isinstance(node, dict):
            node = {k: lists(v) for k, v in node.items()}
            if node and all(k.isdigit() for k in node):
                return [node[k] for k in sorted(node, key=int)]
        return node

    return lists(root)


def sign(payload: bytes, secret: str, timestamp: int) -> str:
    """The ``Stripe-Signature`` header: ``t=<ts>,v1=<HMAC-SHA256(secret, "<ts>.<payload>")>``."""
    mac = hmac.new(secret.encode(), f"{timestamp}.".encode() + payload, hashlib.sha256).hexdigest()
    return f"t={timestamp},v1={mac}"


def _error(exc: StripeInputError) -> JSONResponse:
    kind = "invalid_request_error"
    body = {"error": {"type": kind, "message": str(exc), "param": exc.param}}
    return JSONResponse(body, status_code=exc.status)


class StripeTestServer:
    """The double on ``127.0.0.1`` in a background thread (context manager).

    Attributes:
        store: The Stripe objects and the test's Stripe-side actions.
        requests: Every request, in order.
        base_url: ``http://127.0.0.1:<port>`` (``STRIPE_API_BASE``).
    """

    def __init__(self, *, api_key: str = API_KEY, webhook_secret: str = WEBHOOK_SECRET) -> None:
        self.api_key, self.webhook_secret = api_key, webhook_secret
        self.store = StripeStore()
        self.requests: list[RecordedRequest] = []
        self.base_url = ""
        self._idempotent: dict[str, tuple[str, int, Any]] = {}
        self._failures: dict[str, list[int]] = defaultdict(list)
        self._sessions: dict[str, int] = {}  # meter event session token -> expires (unix s)
        self._lock = threading.Lock()
        self._server: uvicorn.Server | None = None
        self._thread: threading.Thread | None = None
        s = self.store
        self.app = Starlette(
            routes=[
                self._v1("POST", "/v1/customers", lambda p, _: s.create_customer(p)),
                self._v1("GET", "/v1/customers/{id}", lambda p, i: s.get(i, "customer")),
                self._v1("POST", "/v1/products", lambda p, _: s.create_product(p)),
                self._v1("POST", "/v1/products/{id}", lambda p, i: s.update_product(i, p)),
                self._v1("POST", "/v1/prices", lambda p, _: s.create_price(p)),
                self._v1("POST", "/v1/prices/{id}", lambda p, i: s.update_price(i, p)),
                self._v1("GET", "/v1/prices/{id}", lambda p, i: s.get(i, "price")),
                self._v1("POST", "/v1/billing/meters", lambda p, _: s.create_meter(p)),
                self._v1("GET", "/v1/billing/meters/{id}", lambda p, i: s.get(i, "billing.meter")),
                self._v1("GET", "/v1/billing/meters/{id}/event_summaries", self._summaries),
                self._v1("POST", "/v1/checkout/sessions", lambda p, _: s.create_checkout_session(p, self.base_url)),
                self._v1("GET", "/v1/checkout/sessions/{id}", lambda p, i: s.get(i, "checkout.session")),
                self._v1("POST", "/v1/billing_portal/sessions", self._portal),
                self._v1("POST", "/v1/accounts", lambda p, _: s.create_account(p)),
                self._v1("GET", "/v1/accounts/{id}", lambda p, i: s.get(i, "account")),
                self._v1("POST", "/v1/account_links", self._account_link),
                self._v1("GET", "/v1/subscriptions/{id}", lambda p, i: s.get(i, "subscription")),
                self._v1("GET", "/v1/invoices/{id}", lambda p, i: s.get(i, "invoice")),
                self._v1("GET", "/v1/invoices/{id}/lines", lambda p, i: s.get(i, "invoice")["lines"]),
                Route("/v2/billing/meter_event_session", self._meter_session, methods=["POST"]),
                Route("/v2/billing/meter_event_stream", self._meter_stream, methods=["POST"]),
            ]
        )

    # ----------------------------------------------------------------- control
    def fail_next(self, path: str, *, status: int = 500, times: int = 1) -> None:
        """The next ``times`` requests to ``path`` (exact) answer ``status`` with a Stripe error."""
        with self._lock:
            self._failures[path].extend([status] * times)

    def requests_to(self, path: str, method: str = "POST") -> list[RecordedRequest]:
        """Recorded requests to one exact path (answered 2xx or not)."""
        return [r for r in self.requests if r.path == path and r.method == method]

    def deliver(
        self,
        event: dict[str, Any],
        url: str,
        *,
        secret: str | None = None,
        timestamp: int | None = None,
        tamper: bool = False,
    ) -> httpx.Response:
        """POST ``event`` to ``url`` signed as Stripe does (``tamper`` alters the body after signing)."""
        payload = json.dumps(event, indent=2).encode()
        header = sign(payload, secret or self.webhook_secret, timestamp or int(time.time()))
        if tamper:
            payload = payload.replace(b'"livemode": false', b'"livemode": true ')
        headers = {"Stripe-Signature": header, "Content-Type": "application/json; charset=utf-8"}
        return httpx.post(url, content=payload, headers=headers, timeout=30)

    # ---------------------------------------------------------------- plumbing
    def _v1(self, method: str, path: str, handler: Any) -> Route:
        async def endpoint(request: Request) -> Response:
            body = (await request.body()).decode()
            params = decode_form(body if method == "POST" else request.url.query)
            key = request.headers.get("idempotency-key")
            auth = request.headers.get("authorization", "")
            status, result = self._answer(request, method, params, key, auth == f"Bearer {self.api_key}", handler)
            return JSONResponse(result, status_code=status)

        return Route(path, endpoint, methods=[method])

    def _answer(
        self, request: Request, method: str, params: dict[str, Any], key: str | None, authed: bool, handler: Any
    ) -> tuple[int, Any]:
        path = request.url.path
        with self._lock:
            fingerprint = json.dumps([path, params], sort_keys=True)
            if not authed:
                status, result = 401, {"error": {"type": "invalid_request_error", "message": "Invalid API Key."}}
            elif self._failures[path]:
                status = self._failures[path].pop(0)
                result = {"error": {"type": "api_error", "message": "Injected failure."}}
            elif method == "POST" and key and key in self._idempotent:
                first, status, result = self._idempotent[key]
                if first != fingerprint:
                    status, result = (
                        400,
                        {
                            "error": {
                                "type": "idempotency_error",
                                "message": "Keys for idempotent requests can only be used with the same parameters.",
                            }
                        },
                    )
            else:
                try:
                    status, result = 200, handler(params, request.path_params.get("id"))
                except StripeInputError as exc:
                    status, result = exc.status, json.loads(_error(exc).body)
                if method == "POST" and key and status < 500:
                    self._idempotent[key] = (fingerprint, status, json.loads(json.dumps(result)))
            self.requests.append(RecordedRequest(method, path, params, key, status, dict(request.headers)))
            return status, json.loads(json.dumps(result))

    def _summaries(self, p: dict[str, Any], meter_id: str) -> dict[str, Any]:
        meter = self.store.get(meter_id, "billing.meter")
        start, end = int(p["start_time"]), int(p["end_time"])
        if start % 60 or end % 60:
            raise StripeInputError("start_time and end_time must be aligned with minute boundaries.", "start_time")
        value = self.store.meter_total(meter, p["customer"], start, end)
        summary = {
            "id": new_id("mtrusg"),
            "object": "billing.meter_event_summary",
            "aggregated_value": value,
            "start_time": start,
            "end_time": end,
            "meter": meter_id,
            "livemode": False,
        }
        return {"object": "list", "data": [summary], "has_more": False, "url": f"/v1/billing/meters/{meter_id}"}

    def _portal(self, p: dict[str, Any], _: Any) -> dict[str, Any]:
        self.store.get(p.get("customer", ""), "customer")
        session_id = new_id("bps")
        return {
            "id": session_id,
            "object": "billing_portal.session",
            "customer": p["customer"],
            "return_url": p.get("return_url"),
            "url": f"{self.base_url}/portal/{session_id}",
        }

    def _account_link(self, p: dict[str, Any], _: Any) -> dict[str, Any]:
        self.store.get(p.get("account", ""), "account")
        for key in ("refresh_url", "return_url", "type"):
            if not p.get(key):
                raise StripeInputError(f"Missing required param: {key}.", key)
        return {
            "object": "account_link",
            "created": int(time.time()),
            "expires_at": int(time.time()) + 300,
            "url": f"{self.base_url}/connect/onboarding/{p['account']}",
        }

    async def _meter_session(self, request: Request) -> Response:
        auth = request.headers.get("authorization", "")
        with self._lock:
            self.requests.append(RecordedRequest("POST", request.url.path, {}, request.headers.get("idempotency-key")))
            if auth != f"Bearer {self.api_key}":
                return JSONResponse({"error": {"type": "invalid_request_error", "message": "Bad key"}}, 401)
            token = f"ek_test_{new_id('mes')}"
            expires = int(time.time()) + 900
            self._sessions[token] = expires
        stamp = time.strftime("%Y-%m-%dT%H:%M:%S.000Z", time.gmtime(expires))
        return JSONResponse(
            {
                "id": new_id("mes"),
                "object": "v2.billing.meter_event_session",
                "authentication_token": token,
                "expires_at": stamp,
                "livemode": False,
            }
        )

    async def _meter_stream(self, request: Request) -> Response:
        body = json.loads((await request.body()) or b"{}")
        token = request.headers.get("authorization", "").removeprefix("Bearer ")
        with self._lock:
            key = request.headers.get("idempotency-key")
            path = request.url.path
            if self._failures[path]:
                status = self._failures[path].pop(0)
                self.requests.append(RecordedRequest("POST", path, body, key, status))
                return JSONResponse({"error": {"type": "api_error", "message": "Injected failure."}}, status)
            if self._sessions.get(token, 0) < time.time():
                self.requests.append(RecordedRequest("POST", path, body, key, 401))
                return JSONResponse(
                    {
                        "error": {
                            "type": "temporary_session_expired",
                            "code": "billing_meter_event_session_expired",
                            "message": "Session expired.",
                        }
                    },
                    401,
                )
            events = body.get("events") or []
            if not 1 <= len(events) <= 100:
                self.requests.append(RecordedRequest("POST", path, body, key, 400))
                return JSONResponse({"error": {"type": "invalid_request_error", "message": "1-100 events."}}, 400)
            for event in events:
                identifier = event.get("identifier") or new_id("mev")
                stamp = event.get("timestamp")
                ts = calendar.timegm(time.strptime(stamp[:19], "%Y-%m-%dT%H:%M:%S")) if stamp else int(time.time())
                self.store.meter_events.setdefault(identifier, {**event, "identifier": identifier, "ts": ts})
            self.requests.append(RecordedRequest("POST", path, body, key, 200))
        return JSONResponse({}, status_code=200)

    # -------------------------------------------------------------- lifecycle
    def __enter__(self) -> StripeTestServer:
        with socket.socket() as sock:
            sock.bind(("127.0.0.1", 0))
            port = sock.getsockname()[1]
        self._server = uvicorn.Server(uvicorn.Config(self.app, host="127.0.0.1", port=port, log_level="warning"))
        self._thread = threading.Thread(target=self._server.run, daemon=True)
        self._thread.start()
        deadline = time.monotonic() + 10
        while not self._server.started and time.monotonic() < deadline:
            time.sleep(0.02)
        self.base_url = f"http://127.0.0.1:{port}"
        return self

    def __exit__(self, *_: object) -> None:
        if self._server is not None:
            self._server.should_exit = True
        if self._thread is not None:
            self._thread.join(5)
