"""The outermost ASGI layer: security headers and CSP, websocket Origin check, API-only CORS,
and the ``/_upload`` body cap.

``reflex run --env prod`` serves the built pages, the ``/_event`` websocket, ``/_upload`` and
``/api`` from one ASGI app, the one ``App.__call__`` returns. :class:`SecureApp` wraps exactly that
app, so every response passes here, including Reflex's own CORS answers.

The Content-Security-Policy forbids inline script except the inline scripts of the build output
itself, allowed by their SHA-256 hashes (CSP Level 3, "hash-source"), computed once at start
from the ``.html`` files of the build. It keeps ``'unsafe-eval'``: Reflex's ``rx.call_script``
(used by the app) evaluates code the server sends over the websocket. Styles keep
``'unsafe-inline'`` (Radix and Emotion inject ``<style>`` at run time). Uploaded files never
add hashes: only the build directory is read.
"""

from __future__ import annotations

import base64
import hashlib
import logging
import re
from collections.abc import Awaitable, Callable, MutableMapping
from pathlib import Path
from typing import Any

import reflex as rx

from backend.accounts.oidc import provider_origins
from backend.config import get_settings
from dashboard import http_guards as guards

log = logging.getLogger(__name__)

Scope = MutableMapping[str, Any]
Message = MutableMapping[str, Any]
Receive = Callable[[], Awaitable[Message]]
Send = Callable[[Message], Awaitable[None]]
ASGIApp = Callable[[Scope, Receive, Send], Awaitable[None]]

_INLINE_SCRIPT = re.compile(rb"<script\b([^>]*)>(.*?)</script\s*>", re.S | re.I)
_PERMISSIONS_POLICY = "camera=(), microphone=(), geolocation=(), payment=(), usb=(), interest-cohort=()"
EVENT_PATH, UPLOAD_PATH = "/_event", "/_upload"


def inline_script_hashes(static_dir: Path) -> list[str]:
    """``'sha256-…'`` sources for every inline ``<script>`` of the build's ``.html`` files.

    Args:
        static_dir: the built front end (``.web/build/client``); missing means none (dev mode).

    Returns:
        Sorted, unique CSP hash sources.
    """
    found: set[str] = set()
    if static_dir.is_dir():
        for page in static_dir.rglob("*.html"):
            for attrs, body in _INLINE_SCRIPT.findall(page.read_bytes()):
                if b"src=" not in attrs.lower():
                    found.add("'sha256-" + base64.b64encode(hashlib.sha256(body).digest()).decode() + "'")
    return sorted(found)


def content_security_policy(
    script_hashes: list[str], public_url: str = "", form_origins: list[str] | None = None
) -> str:
    """The policy of every response (W3C CSP Level 3).

    Args:
        script_hashes: hash sources of the build's own inline scripts.
        public_url: ``Settings.public_url``; its ``ws(s)://`` origin is added to ``connect-src``.
        form_origins: origins a form may lead to besides our own: the configured sign-in
            providers (browsers apply ``form-action`` to the redirect that follows a form,
            and "Continue with <provider>" is a form whose answer redirects to the provider).

    Returns:
        The ``Content-Security-Policy`` header value.
    """
    connect = ["'self'"]
    origin = guards.normalize_origin(public_url) if public_url else ""
    if origin:
        connect.append(origin.replace("http", "ws", 1))
    return "; ".join(
        [
            "default-src 'self'",
            # 'unsafe-eval': Reflex runs rx.call_script code sent by the server with eval (state.js);
            # no inline script, no script from another origin, no inline event handlers.
            "script-src " + " ".join(["'self'", "'unsafe-eval'", *script_hashes]),
            "style-src 'self' 'unsafe-inline'",
            "img-src 'self' data: blob:",
            "font-src 'self' data:",
            "connect-src " + " ".join(connect),
            "worker-src 'self' blob:",
            "object-src 'none'",
            "frame-src 'none'",
            "base-uri 'none'",
            "form-action " + " ".join(["'self'", *(form_origins or [])]),
            "frame-ancestors 'none'",
        ]
    )


def security_headers(csp: str, *, https: bool) -> list[tuple[bytes, bytes]]:
    """The headers added to every HTTP response (OWASP Secure Headers Project set)."""
    headers = [
        (b"content-security-policy", csp.encode()),
        (b"x-frame-options", b"DENY"),
        (b"x-content-type-options", b"nosniff"),
        (b"referrer-policy", b"strict-origin-when-cross-origin"),
        (b"permissions-policy", _PERMISSIONS_POLICY.encode()),
        (b"cross-origin-opener-policy", b"same-origin"),
    ]
    if https:
        headers.append((b"strict-transport-security", b"max-age=31536000"))
    return headers


async def _plain(send: Send, status: int, text: str, extra: list[tuple[bytes, bytes]]) -> None:
    body = text.encode()
    headers = [(b"content-type", b"text/plain; charset=utf-8"), (b"content-length", str(len(body)).encode())]
    await send({"type": "http.response.start", "status": status, "headers": headers + extra})
    await send({"type": "http.response.body", "body": body})


class SecurityMiddleware:
    """Pure ASGI middleware (see the module docstring); one instance per server process.

    Args:
        app: the Reflex ASGI app.
        csp: the Content-Security-Policy value.
        public_url: ``Settings.public_url`` ("" = same-origin check against ``Host``).
        cors_origins: origins allowed to call ``/api`` from a browser.
        upload_cap: largest ``/_upload`` body, bytes.
        dev: Reflex development mode (loopback front-end origins allowed on the websocket).
    """

    def __init__(
        self, app: ASGIApp, *, csp: str, public_url: str, cors_origins: frozenset[str], upload_cap: int, dev: bool
    ) -> None:
        self.app, self.public_url, self.cors_origins = app, public_url, cors_origins
        self.upload_cap, self.dev = upload_cap, dev
        self.headers = security_headers(csp, https=public_url.startswith("https://"))

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "websocket":
            await self._websocket(scope, receive, send)
        elif scope["type"] == "http":
            await self._http(scope, receive, send)
        else:
            await self.app(scope, receive, send)

    def _origin_ok(self, headers: dict[bytes, bytes]) -> bool:
        origin, host = headers.get(b"origin"), headers.get(b"host")
        return guards.websocket_origin_allowed(
            origin.decode("latin-1") if origin is not None else None,
            host.decode("latin-1") if host is not None else None,
            public_url=self.public_url,
            dev=self.dev,
        )

    async def _websocket(self, scope: Scope, receive: Receive, send: Send) -> None:
        if self._origin_ok(dict(scope["headers"])):
            await self.app(scope, receive, send)
            return
        log.warning("websocket refused: foreign Origin")
        await receive()  # websocket.connect
        await send({"type": "websocket.close", "code": 1008})  # before accept: HTTP 403

    async def _http(self, scope: Scope, receive: Receive, send: Send) -> None:
        headers = dict(scope["headers"])
        path, method = scope["path"], scope["method"]
        api = guards.is_api_path(path)
        # the developer API answers CORS itself (per-key origins for the embed widget; keys, not
        # cookies, authenticate it): backend/api/v1.py
        v1 = path.startswith(guards.API_PREFIX + "/v1/")
        origin = headers.get(b"origin", b"").decode("latin-1")
        cors = api and not v1 and origin in self.cors_origins  # the allow-list holds serialized origins
        if path.startswith(EVENT_PATH) and not self._origin_ok(headers):
            await _plain(send, 403, "Forbidden origin.", self.headers)
            return
        if cors and method == "OPTIONS" and b"access-control-request-method" in headers:
            await _plain(send, 204, "", self.headers + guards.api_cors_headers(origin, preflight=True))
            return
        extra = self.headers + (guards.api_cors_headers(origin, preflight=False) if cors else [])

        async def send_with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                kept = list(message.get("headers", []))
                if not self.dev and not v1:  # Reflex's own CORS answers every origin; the dev front end needs it
                    kept = [(k, v) for k, v in kept if not k.lower().startswith(b"access-control-")]
                message["headers"] = kept + extra
            await send(message)

        if path.startswith(UPLOAD_PATH) and method == "POST":
            await self._upload(scope, receive, send_with_headers, headers)
        else:
            await self.app(scope, receive, send_with_headers)

    async def _upload(self, scope: Scope, receive: Receive, send: Send, headers: dict[bytes, bytes]) -> None:
        too_large = f"Upload too large: at most {self.upload_cap // 1_000_000} MB per upload."
        length = headers.get(b"content-length")
        if length is not None and (not length.isdigit() or int(length) > self.upload_cap):
            await _plain(send, 413, too_large, [(b"connection", b"close")])
            return
        state = {"read": 0, "over": False, "started": False}

        async def counted_receive() -> Message:
            message = await receive()
            if message["type"] == "http.request":
                state["read"] += len(message.get("body", b""))
                if state["read"] > self.upload_cap:
                    state["over"] = True
                    return {"type": "http.disconnect"}  # the handler stops reading
            return message

        async def guarded_send(message: Message) -> None:
            if state["over"]:
                return
            state["started"] = True
            await send(message)

        try:
            await self.app(scope, counted_receive, guarded_send)
        except Exception:
            if not state["over"]:
                raise
        if state["over"] and not state["started"]:
            await _plain(send, 413, too_large, [(b"connection", b"close")])


def build_middleware(app: ASGIApp) -> SecurityMiddleware:
    """Wrap ``app`` with the settings of this process (read once, at server start)."""
    from reflex.utils.exec import is_prod_mode
    from reflex.utils.prerequisites import get_web_dir
    from reflex_base import constants

    settings = get_settings()
    static_dir = get_web_dir() / constants.Dirs.STATIC / rx.config.get_config().frontend_path.strip("/")
    hashes = inline_script_hashes(static_dir)
    log.info("CSP allows %d inline build scripts by hash", len(hashes))
    return SecurityMiddleware(
        app,
        csp=content_security_policy(hashes, settings.public_url, provider_origins()),
        public_url=settings.public_url,
        cors_origins=guards.api_cors_origins(settings.api_cors_origins),
        upload_cap=guards.upload_body_cap(settings.max_upload_bytes),
        dev=not is_prod_mode(),
    )


class SecureApp(rx.App):
    """``rx.App`` whose ASGI app (what the server runs) is wrapped by :class:`SecurityMiddleware`."""

    def __call__(self) -> Any:  # noqa: D102
        return build_middleware(super().__call__())
