"""Pure checks behind the HTTP security middleware: origins, the API's CORS, upload body size.

No Reflex here and no I/O: :mod:`dashboard.http_security` calls these for each request.
"""

from __future__ import annotations

from urllib.parse import urlsplit

API_PREFIX = "/api"
API_CORS_METHODS = "GET, POST, PUT, PATCH, DELETE, OPTIONS"
API_CORS_HEADERS = "Authorization, Content-Type, Idempotency-Key"
API_CORS_MAX_AGE_S = 600
UPLOAD_FORM_OVERHEAD_BYTES = 1_000_000  # multipart headers and the event-args field around the files
_LOOPBACK = {"localhost", "127.0.0.1", "::1"}
_DEFAULT_PORTS = {"http": 80, "https": 443, "ws": 80, "wss": 443}


def normalize_origin(url: str) -> str:
    """``scheme://host[:port]`` of ``url``, lower-case, default port dropped; ``""`` if unusable.

    Args:
        url: an origin or URL, e.g. ``"https://Hub.example.com:443/app"``.

    Returns:
        The serialized origin (RFC 6454 section 6.2), e.g. ``"https://hub.example.com"``.
    """
    try:
        parts = urlsplit(url.strip())
        port = parts.port
    except ValueError:
        return ""
    scheme, host = parts.scheme.lower(), (parts.hostname or "").lower()
    if scheme not in _DEFAULT_PORTS or not host:
        return ""
    if ":" in host:
        host = f"[{host}]"
    return f"{scheme}://{host}" if port in (None, _DEFAULT_PORTS[scheme]) else f"{scheme}://{host}:{port}"


def _host_port(netloc: str, scheme: str) -> tuple[str, int] | None:
    try:
        parts = urlsplit(f"{scheme}://{netloc}")
        return (parts.hostname or "").lower(), parts.port or _DEFAULT_PORTS[scheme]
    except (ValueError, KeyError):
        return None


def websocket_origin_allowed(origin: str | None, host: str | None, *, public_url: str, dev: bool) -> bool:
    """Whether a browser on ``origin`` may open the app's websocket (cross-site hijacking guard).

    Browsers always send ``Origin`` on a websocket handshake; a client without one is not a
    browser and carries no victim's cookies, so it is let through (the session still decides).

    Args:
        origin: the ``Origin`` request header, or ``None``.
        host: the ``Host`` request header, or ``None``.
        public_url: ``Settings.public_url``; when set, the only allowed origin.
        dev: Reflex development mode (front end on its own port): loopback origins are allowed.

    Returns:
        True when allowed.
    """
    if origin is None:
        return True
    wanted = normalize_origin(origin)
    if not wanted:
        return False  # "null" (sandboxed frames, file:) and garbage
    if public_url:
        return wanted == normalize_origin(public_url)
    scheme = urlsplit(wanted).scheme
    theirs, ours = _host_port(urlsplit(wanted).netloc, scheme), _host_port(host or "", scheme)
    if theirs is not None and theirs == ours:
        return True
    return bool(dev and theirs is not None and theirs[0] in _LOOPBACK)


def api_cors_origins(setting: str) -> frozenset[str]:
    """The allowed ``/api`` origins from ``AGENTHUB_API_CORS_ORIGINS`` (comma-separated)."""
    return frozenset(o for o in (normalize_origin(part) for part in setting.split(",")) if o)


def is_api_path(path: str) -> bool:
    """True for ``/api`` and everything under it (the developer API), not the app's internals."""
    return path == API_PREFIX or path.startswith(API_PREFIX + "/")


def api_cors_headers(origin: str, *, preflight: bool) -> list[tuple[bytes, bytes]]:
    """CORS response headers for an allowed ``origin`` (no credentials: the API takes keys).

    Args:
        origin: the request's ``Origin``, already checked against the allow-list.
        preflight: True for an ``OPTIONS`` preflight (adds methods, headers and max-age).

    Returns:
        ASGI header pairs (Fetch standard, "CORS protocol").
    """
    headers = [(b"access-control-allow-origin", origin.encode("latin-1")), (b"vary", b"Origin")]
    if preflight:
        headers += [
            (b"access-control-allow-methods", API_CORS_METHODS.encode()),
            (b"access-control-allow-headers", API_CORS_HEADERS.encode()),
            (b"access-control-max-age", str(API_CORS_MAX_AGE_S).encode()),
        ]
    return headers


def upload_body_cap(max_upload_bytes: int) -> int:
    """Largest ``/_upload`` request body accepted, bytes: the file cap plus form overhead."""
    return max_upload_bytes + UPLOAD_FORM_OVERHEAD_BYTES
