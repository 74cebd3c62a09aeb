"""Sign in with an OpenID Connect provider: the real /api app and a local provider, over HTTP."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from urllib.parse import parse_qs, quote, urlsplit, urlunsplit

import httpx
import pytest
from sqlmodel import col, select

from backend.accounts.oidc_flows import PENDING_COOKIE
from backend.accounts.service import sign_in, sign_up, user_for_token
from backend.api.routes import api
from backend.db import session_scope
from backend.models import AuditEvent, AuthSession, UserIdentity
from tests.support.api import serve
from tests.support.oidc_provider import LocalProvider, local_provider, provider_env
from tests.support.settings_env import app_env  # noqa: F401  (the fixture)

PASSWORD = "correct horse battery"


@pytest.fixture
def provider(app_env: Callable[..., None]) -> Iterator[LocalProvider]:  # noqa: F811
    with local_provider() as p:
        app_env(**provider_env(p))
        yield p


@pytest.fixture
def app_url() -> Iterator[str]:
    with serve(api) as base:
        yield base


def _run_flow(
    app_url: str,
    *,
    cookies: dict[str, str] | None = None,
    query: str = "",
    edit_state: bool = False,
    next_path: str = "/agents",
) -> httpx.Response:
    """Start, let the provider approve, come back to the callback; returns the callback's answer."""
    with httpx.Client(follow_redirects=False, trust_env=False, cookies=cookies) as client:
        started = client.get(f"{app_url}/api/auth/oidc/oidc/start?next={quote(next_path, safe='')}{query}")
        assert started.status_code == 303, started.text
        approved = client.get(started.headers["location"])
        assert approved.status_code == 302
        back = approved.headers["location"]
        if edit_state:
            parts = urlsplit(back)
            q = parse_qs(parts.query)
            back = urlunsplit(parts._replace(query=f"code={q['code'][0]}&state=forged"))
        answer = client.get(back)
        return answer


def _session_email(response: httpx.Response) -> str | None:
    token = response.cookies.get("agenthub_session")
    if not token:
        return None
    with session_scope() as s:
        user = user_for_token(token=token, session=s)
        return user.email if user else None


def test_first_sign_in_creates_the_account_and_sets_the_cookie(provider: LocalProvider, app_url: str) -> None:
    provider.user = {"sub": "new-1", "email": "First.Timer@example.com", "email_verified": True}
    answer = _run_flow(app_url)
    assert answer.status_code == 303
    assert answer.headers["location"] == "/agents"
    assert "httponly" in answer.headers["set-cookie"].lower()
    assert _session_email(answer) == "first.timer@example.com"
    sent = provider.authorize_requests[-1]
    assert sent["code_challenge_method"] == "S256" and sent["nonce"] and sent["state"]
    again = _run_flow(app_url)  # the second sign-in finds the identity
    assert _session_email(again) == "first.timer@example.com"


@pytest.mark.parametrize(
    ("tamper", "code"), [("nonce", "id_token"), ("expired", "id_token"), ("badsig", "id_token"), ("aud", "id_token")]
)
def test_a_bad_id_token_signs_nobody_in(provider: LocalProvider, app_url: str, tamper: str, code: str) -> None:
    provider.user = {"sub": f"t-{tamper}", "email": f"{tamper}@example.com", "email_verified": True}
    provider.tamper = tamper
    answer = _run_flow(app_url)
    assert answer.headers["location"] == f"/signin?sso={code}"
    assert "agenthub_session" not in answer.cookies
    with session_scope() as s:
        assert s.exec(select(UserIdentity).where(UserIdentity.subject == f"t-{tamper}")).first() is None


def test_a_wrong_state_is_refused(provider: LocalProvider, app_url: str) -> None:
    provider.user = {"sub": "state-1", "email": "state@example.com", "email_verified": True}
    answer = _run_flow(app_url, edit_state=True)
    assert answer.headers["location"] == "/signin?sso=state"
    assert "agenthub_session" not in answer.cookies


def test_a_callback_without_the_flow_cookie_is_refused(provider: LocalProvider, app_url: str) -> None:
    with httpx.Client(follow_redirects=False, trust_env=False) as client:
        started = client.get(f"{app_url}/api/auth/oidc/oidc/start")
        back = client.get(started.headers["location"]).headers["location"]
    answer = httpx.get(back, follow_redirects=False, trust_env=False)  # another browser, no flow cookie
    assert answer.headers["location"] == "/signin?sso=expired"
    assert "agenthub_session" not in answer.cookies


@pytest.mark.parametrize("verified", [False, True])
def test_a_registered_email_is_not_taken_over(provider: LocalProvider, app_url: str, verified: bool) -> None:
    email = f"owner-{verified}@example.com"
    with session_scope() as s:
        sign_up(email=email, password=PASSWORD, session=s)
    provider.user = {"sub": f"attacker-{verified}", "email": email, "email_verified": verified}
    answer = _run_flow(app_url)
    assert answer.headers["location"] == "/signin?sso=exists"
    assert "agenthub_session" not in answer.cookies
    with session_scope() as s:
        assert s.exec(select(UserIdentity).where(UserIdentity.subject == f"attacker-{verified}")).first() is None


def test_an_unverified_email_makes_no_account(provider: LocalProvider, app_url: str) -> None:
    provider.user = {"sub": "unv-1", "email": "unverified@example.com", "email_verified": False}
    answer = _run_flow(app_url)
    assert answer.headers["location"] == "/signin?sso=unverified"
    assert "agenthub_session" not in answer.cookies


def test_link_after_the_password_then_sign_in_with_the_provider(provider: LocalProvider, app_url: str) -> None:
    email = "linker@example.com"
    with session_scope() as s:
        sign_up(email=email, password=PASSWORD, session=s)
    with session_scope() as s:
        user, token = sign_in(email=email, password=PASSWORD, ip="127.0.0.1", session=s)
    provider.user = {"sub": "link-1", "email": "linker@other.example", "email_verified": False}
    linked = _run_flow(app_url, cookies={"agenthub_session": token}, query="&link=1")
    assert linked.headers["location"] == "/account?linked=oidc"
    with session_scope() as s:
        row = s.exec(select(UserIdentity).where(UserIdentity.subject == "link-1")).one()
        assert row.user_id == user.id
        events = s.exec(select(AuditEvent).where(AuditEvent.target_id == row.id)).all()
        assert [e.action for e in events] == ["identity.linked"]
    assert _session_email(_run_flow(app_url)) == email


def test_link_needs_a_signed_in_user(provider: LocalProvider, app_url: str) -> None:
    answer = httpx.get(f"{app_url}/api/auth/oidc/oidc/start?link=1", follow_redirects=False, trust_env=False)
    assert answer.headers["location"] == "/signin"


def test_the_provider_is_reached_only_through_the_outbound_policy(
    provider: LocalProvider,
    app_url: str,
    app_env: Callable[..., None],  # noqa: F811
) -> None:
    app_env(AGENTHUB_OIDC_ALLOW="", AGENTHUB_OIDC_ISSUER=provider.issuer + "/x")  # loopback, not allowed
    answer = httpx.get(f"{app_url}/api/auth/oidc/oidc/start", follow_redirects=False, trust_env=False)
    assert answer.headers["location"] == "/signin?sso=unreachable"
    assert provider.authorize_requests == []


def test_an_unconfigured_provider_is_unknown(app_url: str) -> None:
    answer = httpx.get(f"{app_url}/api/auth/oidc/google/start", follow_redirects=False, trust_env=False)
    assert answer.headers["location"] == "/signin?sso=unknown"


def test_a_callback_is_used_once(provider: LocalProvider, app_url: str) -> None:
    provider.user = {"sub": "once-1", "email": "once@example.com", "email_verified": True}
    with httpx.Client(follow_redirects=False, trust_env=False) as client:
        started = client.get(f"{app_url}/api/auth/oidc/oidc/start")
        back = client.get(started.headers["location"]).headers["location"]
        flow_cookie = client.cookies.get("agenthub_oidc")
        first = client.get(back)
        assert first.headers["location"] == "/agents"
        replay = httpx.get(back, cookies={"agenthub_oidc": flow_cookie or ""}, follow_redirects=False, trust_env=False)
    assert replay.headers["location"] == "/signin?sso=expired"
    assert "agenthub_session" not in replay.cookies


def _two_factor_on(provider: LocalProvider, app_url: str, sub: str) -> tuple[str, str, list[str]]:
    """A provider account with two-factor sign-in on: ``(user id, TOTP secret, recovery codes)``."""
    from datetime import UTC, datetime

    import pyotp

    from backend.accounts import twofactor
    from backend.accounts.actor import Actor

    provider.user = {"sub": sub, "email": f"{sub}@example.com", "email_verified": True}
    token = _run_flow(app_url).cookies.get("agenthub_session") or ""
    with session_scope() as s:
        user = user_for_token(token=token, session=s)
        assert user is not None
        actor = Actor(user_id=user.id, workspace_id=user.workspace_id)
        key = twofactor.start_setup(user_id=user.id, session=s)
    with session_scope() as s:
        now = datetime.now(UTC)
        codes = twofactor.confirm_setup(
            actor=actor, code=pyotp.TOTP(key.secret).at(now), session=s, now=now.timestamp()
        )
    return user.id, key.secret, codes


def _live_sessions(user_id: str) -> int:
    with session_scope() as s:
        rows = s.exec(select(AuthSession).where(AuthSession.user_id == user_id, col(AuthSession.revoked_at).is_(None)))
        return len(rows.all())


def _hand_over(app_url: str, ticket: str, next_path: str) -> httpx.Response:
    """What the sign-in page does with a login ticket: post it to ``/api/auth/session``."""
    return httpx.post(
        f"{app_url}/api/auth/session",
        data={"ticket": ticket, "next": next_path},
        cookies={PENDING_COOKIE: "left-over"},
        follow_redirects=False,
        trust_env=False,
    )


def test_an_account_with_two_factor_is_asked_for_its_code_after_the_provider(
    provider: LocalProvider, app_url: str
) -> None:
    """Regression: the callback used to refuse such a sign-in (``/signin?sso=two_factor``)."""
    from datetime import UTC, datetime, timedelta

    import pyotp

    from backend.accounts.service import AuthError
    from dashboard.auth.tickets import second_factor_ticket, take_pending_code

    user_id, secret, _ = _two_factor_on(provider, app_url, "tf-code")
    before = _live_sessions(user_id)
    answer = _run_flow(app_url, next_path="/invite/abc?x=1")
    assert answer.status_code == 303 and answer.headers["location"] == "/signin?step=code"
    assert "agenthub_session" not in answer.cookies  # no session before the code
    assert _live_sessions(user_id) == before
    pending_cookie = next(c for c in answer.headers.get_list("set-cookie") if c.startswith(PENDING_COOKIE + "="))
    assert "httponly" in pending_cookie.lower() and "max-age=300" in pending_cookie.lower()
    handle = answer.cookies[PENDING_COOKIE]

    pending = take_pending_code(handle)
    assert pending is not None and pending.user_id == user_id and pending.next_path == "/invite/abc?x=1"
    assert 0 < pending.seconds_left <= 300
    assert take_pending_code(handle) is None  # taken once

    with pytest.raises(AuthError):
        second_factor_ticket(user_id, "000000", "127.0.0.1")
    assert _live_sessions(user_id) == before  # a wrong code opens nothing
    code = pyotp.TOTP(secret).at(datetime.now(UTC) + timedelta(seconds=30))
    signed_in = _hand_over(app_url, second_factor_ticket(user_id, code, "127.0.0.1"), pending.next_path)
    assert signed_in.headers["location"] == "/invite/abc?x=1"
    assert _session_email(signed_in) == "tf-code@example.com"
    assert any(c.startswith(PENDING_COOKIE + '=""') for c in signed_in.headers.get_list("set-cookie"))


def test_a_recovery_code_finishes_a_provider_sign_in(provider: LocalProvider, app_url: str) -> None:
    from dashboard.auth.tickets import second_factor_ticket, take_pending_code

    user_id, _, recovery = _two_factor_on(provider, app_url, "tf-recovery")
    pending = take_pending_code(_run_flow(app_url).cookies[PENDING_COOKIE])
    assert pending is not None and pending.next_path == "/agents"
    signed_in = _hand_over(app_url, second_factor_ticket(user_id, recovery[0], "127.0.0.1"), pending.next_path)
    assert _session_email(signed_in) == "tf-recovery@example.com"
    with session_scope() as s:
        # (other tests of the session may have used recovery codes of their own users)
        used = s.exec(
            select(AuditEvent).where(
                AuditEvent.action == "two_factor.recovery_used", AuditEvent.actor_user_id == user_id
            )
        ).all()
        assert [e.target_id for e in used] == [user_id]


def test_a_waiting_provider_sign_in_expires_and_is_not_a_flow(provider: LocalProvider, app_url: str) -> None:
    from sqlalchemy import update

    from backend.accounts import oidc_flows
    from backend.models import OIDCFlow
    from backend.models.common import utcnow
    from backend.security.sessions import hash_token
    from dashboard.auth.tickets import take_pending_code

    _two_factor_on(provider, app_url, "tf-expiry")
    handle = _run_flow(app_url).cookies[PENDING_COOKIE]
    with session_scope() as s:
        assert oidc_flows.take(handle, session=s) is None  # not usable as a started sign-in
    assert take_pending_code(handle) is None  # and the attempt spent it
    handle = _run_flow(app_url).cookies[PENDING_COOKIE]
    with session_scope() as s:
        s.execute(update(OIDCFlow).where(col(OIDCFlow.id) == hash_token(handle)).values(expires_at=utcnow()))
    assert take_pending_code(handle) is None


@pytest.mark.parametrize(
    "target", ["//evil.example/x", "/\\evil.example", "https://evil.example/", "/\t/evil.example", "javascript:x", ""]
)
def test_only_a_local_next_survives_the_round_trip(provider: LocalProvider, app_url: str, target: str) -> None:
    provider.user = {"sub": "next-1", "email": "next@example.com", "email_verified": True}
    assert _run_flow(app_url, next_path=target).headers["location"] == "/agents"
    assert _run_flow(app_url, next_path="/invite/tok_en-1?a=b").headers["location"] == "/invite/tok_en-1?a=b"


def test_a_member_of_a_workspace_requiring_two_factor_is_sent_to_set_it_up(
    provider: LocalProvider, app_url: str
) -> None:
    from backend.accounts import twofactor
    from backend.accounts.actor import Actor

    provider.user = {"sub": "req-1", "email": "req@example.com", "email_verified": True}
    first = _run_flow(app_url)
    assert first.headers["location"] == "/agents"
    with session_scope() as s:
        user = user_for_token(token=first.cookies.get("agenthub_session") or "", session=s)
        assert user is not None
        twofactor.set_required(actor=Actor(user_id=user.id, workspace_id=user.workspace_id), required=True, session=s)
    again = _run_flow(app_url)
    assert again.headers["location"] == "/account?two_factor=required"
    assert _session_email(again) == "req@example.com"
