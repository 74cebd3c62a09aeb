"""The security middleware on a small Starlette app: CORS only for the API's declared origins,
the websocket Origin rule (public URL, same origin, dev front end), the CSP built from the build."""

from __future__ import annotations

import base64
import hashlib
from pathlib import Path

import pytest
from starlette.applications import Starlette
from starlette.responses import JSONResponse, PlainTextResponse
from starlette.routing import Route, WebSocketRoute
from starlette.testclient import TestClient
from starlette.websockets import WebSocket, WebSocketDisconnect

from dashboard.http_guards import normalize_origin, websocket_origin_allowed
from dashboard.http_security import SecurityMiddleware, content_security_policy, inline_script_hashes

PARTNER = "https://partner.example"


async def _ok(_request):  # type: ignore[no-untyped-def]
    return JSONResponse({"ok": True}, headers={"access-control-allow-origin": "*"})  # as Reflex's CORS would


async def _ws(websocket: WebSocket) -> None:
    await websocket.accept()
    await websocket.send_text("hi")
    await websocket.close()


def _client(*, public_url: str = "", dev: bool = False) -> TestClient:
    inner = Starlette(
        routes=[
            Route("/api/health", _ok, methods=["GET", "POST"]),
            Route("/ping", lambda r: PlainTextResponse("pong")),
            WebSocketRoute("/_event/", _ws),
        ]
    )
    app = SecurityMiddleware(
        inner,
        csp="default-src 'self'",
        public_url=public_url,
        cors_origins=frozenset({PARTNER}),
        upload_cap=10,
        dev=dev,
    )
    return TestClient(app, base_url="http://hub.test")


def test_declared_origins_get_cors_on_the_api_only() -> None:
    client = _client()
    r = client.get("/api/health", headers={"Origin": PARTNER})
    assert r.headers["access-control-allow-origin"] == PARTNER
    assert "access-control-allow-credentials" not in r.headers
    pre = client.options("/api/health", headers={"Origin": PARTNER, "Access-Control-Request-Method": "POST"})
    assert pre.status_code == 204 and pre.headers["access-control-allow-origin"] == PARTNER
    assert "Authorization" in pre.headers["access-control-allow-headers"]
    assert "access-control-allow-origin" not in client.get("/ping", headers={"Origin": PARTNER}).headers
    evil = client.get("/api/health", headers={"Origin": "https://evil.example"})
    assert "access-control-allow-origin" not in evil.headers  # Reflex's "*" is removed too
    assert evil.headers["x-frame-options"] == "DENY"


def test_the_websocket_takes_the_public_url_only_when_set() -> None:
    with _client(public_url="https://hub.example.com").websocket_connect(
        "/_event/", headers={"Origin": "https://hub.example.com"}
    ) as ws:
        assert ws.receive_text() == "hi"
    with pytest.raises(WebSocketDisconnect):
        with _client(public_url="https://hub.example.com").websocket_connect(
            "/_event/", headers={"Origin": "http://hub.test"}
        ):
            pass


@pytest.mark.parametrize(
    ("origin", "host", "public_url", "dev", "allowed"),
    [
        ("http://127.0.0.1:3000", "127.0.0.1:3000", "", False, True),
        ("https://hub.example.com", "hub.example.com", "", False, True),
        ("https://hub.example.com:443", "hub.example.com", "", False, True),
        ("https://evil.example", "hub.example.com", "", False, False),
        ("http://127.0.0.1:3001", "127.0.0.1:3000", "", False, False),
        ("http://localhost:3000", "127.0.0.1:8000", "", True, True),  # dev: the Vite front end
        ("https://evil.example", "127.0.0.1:8000", "", True, False),
        ("null", "hub.example.com", "", False, False),
        (None, "hub.example.com", "", False, True),
        ("https://hub.example.com", "10.0.0.5:3000", "https://hub.example.com/", False, True),
        ("http://10.0.0.5:3000", "10.0.0.5:3000", "https://hub.example.com", False, False),
    ],
)
def test_websocket_origin_rule(origin, host, public_url, dev, allowed) -> None:  # type: ignore[no-untyped-def]
    assert websocket_origin_allowed(origin, host, public_url=public_url, dev=dev) is allowed


def test_normalize_origin() -> None:
    assert normalize_origin("HTTPS://Hub.Example.com:443/x?y") == "https://hub.example.com"
    assert normalize_origin("http://[::1]:3000") == "http://[::1]:3000"
    assert normalize_origin("javascript:alert(1)") == ""
    assert normalize_origin("http://h:99999") == ""


def test_csp_allows_the_builds_inline_scripts_by_hash_and_nothing_inline_else(tmp_path: Path) -> None:
    (tmp_path / "chat").mkdir()
    (tmp_path / "index.html").write_text('<script>console.log(1)</script><script src="/assets/a.js"></script>')
    (tmp_path / "chat" / "index.html").write_text("<script type=module>import('/x.js')</script>")
    hashes = inline_script_hashes(tmp_path)

    def sha(text: str) -> str:
        return "'sha256-" + base64.b64encode(hashlib.sha256(text.encode()).digest()).decode() + "'"

    assert hashes == sorted([sha("console.log(1)"), sha("import('/x.js')")])  # not the src= one
    csp = content_security_policy(hashes, "https://hub.example.com")
    script_src = next(d for d in csp.split("; ") if d.startswith("script-src"))
    assert "'unsafe-inline'" not in script_src and all(h in script_src for h in hashes)
    assert "connect-src 'self' wss://hub.example.com" in csp
    assert "frame-ancestors 'none'" in csp


def test_form_action_allows_only_the_configured_sign_in_providers() -> None:
    csp = content_security_policy([], "", ["https://accounts.google.com"])
    assert "form-action 'self' https://accounts.google.com;" in csp
    assert "form-action 'self';" in content_security_policy([], "")
