"""The running app over real HTTP: security headers and CSP everywhere, the websocket refuses
foreign origins, no CORS for foreign origins, ``/_upload`` refuses big bodies before reading them,
and the main pages run under the CSP without a single violation.
"""

from __future__ import annotations

import base64
import os
import re
import select
import socket
import time
import urllib.error
import urllib.request
import uuid
from urllib.parse import urlsplit

import pytest
from playwright.sync_api import expect

from tests.support.e2e import sign_up

pytestmark = pytest.mark.e2e

EVIL = "https://evil.example"
PAGES = ["/signin", "/signup", "/agents", "/chat", "/connections", "/settings", "/tasks", "/notifications"]


def _get(url: str, headers: dict[str, str] | None = None, method: str = "GET") -> tuple[int, dict[str, str]]:
    req = urllib.request.Request(url, headers=headers or {}, method=method)  # noqa: S310  (local app)
    try:
        with urllib.request.urlopen(req, timeout=10) as r:  # noqa: S310
            return r.status, {k.lower(): v for k, v in r.headers.items()}
    except urllib.error.HTTPError as exc:
        return exc.code, {k.lower(): v for k, v in exc.headers.items()}


def _raw(app_url: str, request: bytes, *, read_timeout_s: float = 5) -> bytes:
    """Send raw bytes to the app and return what it answers first (status line and headers)."""
    parts = urlsplit(app_url)
    with socket.create_connection((parts.hostname, parts.port), timeout=read_timeout_s) as s:
        s.sendall(request)
        try:
            return s.recv(4096)
        except TimeoutError:
            return b""


def _handshake(app_url: str, origin: str | None) -> bytes:
    host = urlsplit(app_url).netloc
    key = base64.b64encode(os.urandom(16)).decode()
    lines = [
        "GET /_event/?EIO=4&transport=websocket HTTP/1.1",
        f"Host: {host}",
        "Upgrade: websocket",
        "Connection: Upgrade",
        f"Sec-WebSocket-Key: {key}",
        "Sec-WebSocket-Version: 13",
    ]
    if origin:
        lines.append(f"Origin: {origin}")
    return _raw(app_url, ("\r\n".join(lines) + "\r\n\r\n").encode())


@pytest.mark.parametrize("path", ["/", "/signin", "/chat", "/no-such-page", "/api/health", "/ping"])
def test_every_response_carries_the_security_headers(app_url: str, path: str) -> None:
    status, headers = _get(app_url + path)
    assert status in (200, 404), status
    csp = headers["content-security-policy"]
    script_src = re.search(r"script-src ([^;]*)", csp)
    assert script_src and "'unsafe-inline'" not in script_src.group(1) and "*" not in script_src.group(1)
    assert "frame-ancestors 'none'" in csp and "object-src 'none'" in csp
    assert headers["x-frame-options"] == "DENY"
    assert headers["x-content-type-options"] == "nosniff"
    assert headers["referrer-policy"] == "strict-origin-when-cross-origin"
    assert "camera=()" in headers["permissions-policy"]


def test_the_websocket_refuses_a_foreign_origin(app_url: str) -> None:
    assert _handshake(app_url, app_url).startswith(b"HTTP/1.1 101")
    assert _handshake(app_url, None).startswith(b"HTTP/1.1 101")  # not a browser: no cookies ride along
    for origin in (EVIL, "null", "http://127.0.0.1.evil.example", app_url.replace("127.0.0.1", "localhost")):
        answer = _handshake(app_url, origin)
        assert answer.startswith(b"HTTP/1.1 403"), (origin, answer[:80])


@pytest.mark.parametrize("path", ["/api/health", "/_upload", "/ping", "/"])
def test_no_cors_for_a_foreign_origin(app_url: str, path: str) -> None:
    _, headers = _get(app_url + path, {"Origin": EVIL, "Cookie": "x=1"})
    assert "access-control-allow-origin" not in headers
    assert "access-control-allow-credentials" not in headers
    _, headers = _get(
        app_url + path,
        {"Origin": EVIL, "Access-Control-Request-Method": "POST", "Access-Control-Request-Headers": "content-type"},
        method="OPTIONS",
    )
    assert "access-control-allow-origin" not in headers


def test_upload_refused_from_content_length_before_the_body(app_url: str) -> None:
    head = _upload_head(urlsplit(app_url).netloc, "Content-Length: 60000000")
    started = time.monotonic()
    answer = _raw(app_url, head, read_timeout_s=5)  # no body is ever sent
    assert answer.startswith(b"HTTP/1.1 413"), answer[:200]
    assert time.monotonic() - started < 2
    assert b"Upload too large" in answer or b"content-length" in answer.lower()


def _upload_head(host: str, length_header: str) -> bytes:
    """A knowledge upload as the browser sends it (Reflex's token and handler headers)."""
    from reflex.utils.format import format_event_handler

    from dashboard.builder.knowledge_state import KnowledgeState

    return (
        f"POST /_upload HTTP/1.1\r\nHost: {host}\r\nContent-Type: multipart/form-data; boundary=x\r\n"
        f"Reflex-Client-Token: {uuid.uuid4()}\r\n"
        f"Reflex-Event-Handler: {format_event_handler(KnowledgeState.upload)}\r\n{length_header}\r\n\r\n"
    ).encode()


def test_upload_without_length_is_cut_off_as_it_arrives(app_url: str) -> None:
    parts = urlsplit(app_url)
    head = _upload_head(parts.netloc, "Transfer-Encoding: chunked")
    part = b'--x\r\nContent-Disposition: form-data; name="files"; filename="big.txt"\r\n\r\n'
    chunk = b"a" * 1_000_000
    sent, answer = 0, b""
    with socket.create_connection((parts.hostname, parts.port), timeout=3) as s:
        s.sendall(head + b"%x\r\n" % len(part) + part + b"\r\n")
        try:
            while sent < 60_000_000:
                s.sendall(b"%x\r\n" % len(chunk) + chunk + b"\r\n")  # times out once the server stops reading
                sent += len(chunk)
                if select.select([s], [], [], 0)[0]:
                    break  # the server answered early
        except (TimeoutError, BrokenPipeError, ConnectionResetError):
            pass
        try:
            answer = s.recv(4096)
        except (TimeoutError, ConnectionResetError):
            answer = b""
    assert answer.startswith(b"HTTP/1.1 413"), answer[:200]
    assert sent < 40_000_000, sent  # refused near the cap (21 MB), not after reading everything


def test_workers_are_not_forked_with_lancedb_loaded(app_url: str, data_dir) -> None:  # type: ignore[no-untyped-def]
    assert _get(app_url + "/api/health")[0] == 200  # a worker is up, so it was started by now
    log = (data_dir / "server.log").read_text(errors="replace")
    assert "App running at" in log
    assert "fork support is experimental" not in log


def test_main_pages_run_under_the_csp_without_violations(page) -> None:  # type: ignore[no-untyped-def]
    problems: list[str] = []
    page.on("console", lambda m: problems.append(m.text) if "Content Security Policy" in m.text else None)
    page.on("pageerror", lambda e: problems.append(str(e)) if "Content Security Policy" in str(e) else None)
    page.goto("/signin")
    expect(page.get_by_role("button", name="Sign in")).to_be_visible()
    sign_up(page)
    for path in PAGES[2:]:
        page.goto(path)
        expect(page.get_by_role("button", name="Sign out")).to_be_visible()
        page.wait_for_timeout(300)
    page.goto("/agents/new")
    expect(page.get_by_role("button", name="Sign out")).to_be_visible()
    page.wait_for_timeout(300)
    assert problems == []
