"""``/api/auth``: the server sets the session cookie (HttpOnly, SameSite=Lax, Secure behind TLS)
from a single-use login ticket, refuses cross-site posts, and clears it on sign-out."""

from __future__ import annotations

import uuid
from collections.abc import Iterator

import pytest
from starlette.testclient import TestClient

from backend.accounts.service import issue_login_ticket, sign_in, sign_up, user_for_token
from backend.api.routes import api
from backend.config import get_settings
from backend.db import session_scope
from backend.security.sessions import SESSION_COOKIE


@pytest.fixture
def client() -> Iterator[TestClient]:
    with TestClient(api, base_url="http://127.0.0.1:3000", follow_redirects=False) as c:
        yield c


def _ticket() -> str:
    with session_scope() as s:
        _, token = sign_up(email=f"r{uuid.uuid4().hex[:10]}@example.com", password="a long password", session=s)
        return issue_login_ticket(token=token, session=s)


def _set_cookie(response) -> str:  # type: ignore[no-untyped-def]
    return next(v for k, v in response.headers.multi_items() if k == "set-cookie" and v.startswith(SESSION_COOKIE))


def _live(token: str) -> bool:
    with session_scope() as s:
        return user_for_token(token=token, session=s) is not None


def test_ticket_sets_an_httponly_lax_cookie_and_redirects(client: TestClient) -> None:
    response = client.post("/api/auth/session", data={"ticket": _ticket(), "next": "/chat"})
    assert response.status_code == 303 and response.headers["location"] == "/chat"
    header = _set_cookie(response).lower()
    assert "httponly" in header and "samesite=lax" in header and "path=/" in header
    assert "secure" not in header  # plain http, no public https URL
    assert f"max-age={get_settings().session_ttl_hours * 3600}" in header
    assert _live(response.cookies[SESSION_COOKIE])


def test_cookie_is_secure_when_the_public_url_is_https(client: TestClient, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("AGENTHUB_PUBLIC_URL", "https://hub.example.com")
    get_settings.cache_clear()
    try:
        response = client.post("/api/auth/session", data={"ticket": _ticket()})
    finally:
        monkeypatch.delenv("AGENTHUB_PUBLIC_URL")
        get_settings.cache_clear()
    assert "; secure" in _set_cookie(response).lower()


def test_a_ticket_works_once(client: TestClient) -> None:
    ticket = _ticket()
    assert client.post("/api/auth/session", data={"ticket": ticket}).status_code == 303
    again = client.post("/api/auth/session", data={"ticket": ticket})
    assert again.status_code == 303 and again.headers["location"] == "/signin"
    assert "set-cookie" not in again.headers


@pytest.mark.parametrize("target", ["//evil.example/x", "https://evil.example/", "\\\\evil.example", "agents"])
def test_next_never_leaves_the_site(client: TestClient, target: str) -> None:
    response = client.post("/api/auth/session", data={"ticket": _ticket(), "next": target})
    assert response.headers["location"] == "/agents"


@pytest.mark.parametrize("headers", [{"sec-fetch-site": "cross-site"}, {"origin": "https://evil.example"}])
def test_cross_site_posts_are_refused(client: TestClient, headers: dict[str, str]) -> None:
    """Login CSRF: another site must not sign a visitor in to the attacker's account."""
    response = client.post("/api/auth/session", data={"ticket": _ticket()}, headers=headers)
    assert response.status_code == 403 and "set-cookie" not in response.headers


def test_dev_origin_on_another_port_is_the_redirect_base(client: TestClient) -> None:
    response = client.post(
        "/api/auth/session", data={"ticket": _ticket(), "next": "/agents"}, headers={"origin": "http://127.0.0.1:3001"}
    )
    assert response.headers["location"] == "http://127.0.0.1:3001/agents"


def test_sign_out_revokes_the_session_and_clears_the_cookie(client: TestClient) -> None:
    token = client.post("/api/auth/session", data={"ticket": _ticket()}).cookies[SESSION_COOKIE]
    response = client.post("/api/auth/signout", headers={"cookie": f"{SESSION_COOKIE}={token}"})
    assert response.status_code == 303 and response.headers["location"] == "/signin"
    header = _set_cookie(response).lower()
    assert "max-age=0" in header and "httponly" in header
    assert not _live(token)


def test_sign_out_everywhere_ends_every_session_of_the_user(client: TestClient) -> None:
    email = f"r{uuid.uuid4().hex[:10]}@example.com"
    tokens = []
    with session_scope() as s:
        tokens.append(sign_up(email=email, password="a long password", session=s)[1])
    with session_scope() as s:
        tokens.append(sign_in(email=email, password="a long password", ip=None, session=s)[1])
    response = client.post(
        "/api/auth/signout", data={"scope": "everywhere"}, headers={"cookie": f"{SESSION_COOKIE}={tokens[0]}"}
    )
    assert response.status_code == 303
    assert not _live(tokens[0]) and not _live(tokens[1])
