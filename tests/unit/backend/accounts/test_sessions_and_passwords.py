"""Issue 9: idle expiry, sign-out everywhere, password change, login tickets, password policy,
constant-time sign-in and the sign-up throttle, against a real database."""

from __future__ import annotations

import statistics
import time
import uuid
from collections.abc import Callable
from datetime import timedelta

import pytest
from sqlmodel import select

from backend.accounts.service import (
    AuthError,
    change_password,
    issue_login_ticket,
    redeem_login_ticket,
    sign_in,
    sign_out_everywhere,
    sign_up,
    user_for_token,
)
from backend.db import session_scope
from backend.models import AuthSession, LoginTicket
from backend.models.common import utcnow
from backend.security.sessions import hash_token, session_token_from_cookie_header
from backend.security.throttle import SignInThrottle
from tests.support.settings_env import app_env  # noqa: F401  (the fixture)

PASSWORD = "a long password"


def _email() -> str:
    return f"s{uuid.uuid4().hex[:10]}@example.com"


def _account() -> tuple[str, str, str]:
    email = _email()
    with session_scope() as s:
        user, token = sign_up(email=email, password=PASSWORD, session=s)
    return email, user.id, token


def _second_session(email: str) -> str:
    with session_scope() as s:
        return sign_in(email=email, password=PASSWORD, ip="10.1.1.1", session=s, throttle=SignInThrottle())[1]


def _live(token: str) -> bool:
    with session_scope() as s:
        return user_for_token(token=token, session=s) is not None


def _age(token: str, **delta: float) -> None:
    with session_scope() as s:
        row = s.exec(select(AuthSession).where(AuthSession.token_hash == hash_token(token))).one()
        row.last_seen_at = utcnow() - timedelta(**delta)
        s.add(row)


def test_idle_session_expires_after_session_idle_hours() -> None:
    _, _, token = _account()
    _age(token, hours=12, seconds=5)  # default session_idle_hours = 12
    assert not _live(token)


def test_use_renews_the_idle_clock_at_most_once_a_minute() -> None:
    _, _, token = _account()
    _age(token, hours=11)
    assert _live(token)  # renewed now
    with session_scope() as s:
        seen = s.exec(select(AuthSession).where(AuthSession.token_hash == hash_token(token))).one().last_seen_at
    assert seen is not None and utcnow() - seen < timedelta(seconds=30)
    _age(token, seconds=20)
    assert _live(token)
    with session_scope() as s:
        again = s.exec(select(AuthSession).where(AuthSession.token_hash == hash_token(token))).one().last_seen_at
    assert again is not None and utcnow() - again >= timedelta(seconds=19)  # not rewritten within the minute


def test_sign_out_everywhere_ends_every_session() -> None:
    email, user_id, first = _account()
    second = _second_session(email)
    with session_scope() as s:
        assert sign_out_everywhere(user_id=user_id, session=s) == 2
    assert not _live(first) and not _live(second)


def test_change_password_needs_the_current_one_and_ends_other_sessions() -> None:
    email, user_id, mine = _account()
    other = _second_session(email)
    with session_scope() as s, pytest.raises(AuthError) as err:
        change_password(
            user_id=user_id, current="not my password", new="brand new passphrase", keep_token=mine, ip=None, session=s
        )
    assert err.value.field == "current" and _live(other)
    with session_scope() as s, pytest.raises(AuthError) as err:
        change_password(user_id=user_id, current=PASSWORD, new="password123", keep_token=mine, ip=None, session=s)
    assert err.value.field == "new"
    with session_scope() as s:
        change_password(
            user_id=user_id, current=PASSWORD, new="brand new passphrase", keep_token=mine, ip=None, session=s
        )
    assert _live(mine) and not _live(other)
    with session_scope() as s, pytest.raises(AuthError, match="Wrong"):
        sign_in(email=email, password=PASSWORD, ip=None, session=s, throttle=SignInThrottle())
    with session_scope() as s:
        sign_in(email=email, password="brand new passphrase", ip=None, session=s, throttle=SignInThrottle())


def test_login_ticket_is_single_use_and_rotates_the_token() -> None:
    _, _, token = _account()
    with session_scope() as s:
        ticket = issue_login_ticket(token=token, session=s)
    with session_scope() as s:
        stored = s.exec(select(LoginTicket).where(LoginTicket.ticket_hash == hash_token(ticket))).one()
        assert ticket not in stored.ticket_hash
    with session_scope() as s:
        cookie_token = redeem_login_ticket(ticket=ticket, session=s)
    assert cookie_token and cookie_token != token
    assert _live(cookie_token) and not _live(token)  # the token the form handler saw is dead
    with session_scope() as s:
        assert redeem_login_ticket(ticket=ticket, session=s) is None


def test_login_ticket_expires_after_a_minute() -> None:
    _, _, token = _account()
    with session_scope() as s:
        ticket = issue_login_ticket(token=token, session=s)
        row = s.exec(select(LoginTicket).where(LoginTicket.ticket_hash == hash_token(ticket))).one()
        row.expires_at = utcnow() - timedelta(seconds=1)
        s.add(row)
    with session_scope() as s:
        assert redeem_login_ticket(ticket=ticket, session=s) is None


@pytest.mark.parametrize("weak", ["password123", "qwertyuiop12", "aaaaaaaaaaaa", "Password1234"])
def test_common_passwords_are_refused_with_a_hint(weak: str) -> None:
    with session_scope() as s, pytest.raises(AuthError) as err:
        sign_up(email=_email(), password=weak, session=s)
    assert err.value.field == "password" and "too easy to guess" in err.value.message


def test_password_built_from_the_email_is_refused() -> None:
    with session_scope() as s, pytest.raises(AuthError, match="too easy to guess"):
        sign_up(email="marguerite.dubois@example.com", password="margueritedubois", session=s)


def test_sign_up_is_throttled_per_ip() -> None:
    throttle = SignInThrottle(signups_per_hour=3)
    for _ in range(3):
        with session_scope() as s:
            sign_up(email=_email(), password=PASSWORD, ip="192.0.2.50", session=s, throttle=throttle)
    with session_scope() as s, pytest.raises(AuthError, match="Too many sign-up attempts"):
        sign_up(email=_email(), password=PASSWORD, ip="192.0.2.50", session=s, throttle=throttle)
    with session_scope() as s:  # another address is not affected
        sign_up(email=_email(), password=PASSWORD, ip="192.0.2.51", session=s, throttle=throttle)


def _sign_in_ms(email: str) -> float:
    start = time.perf_counter()
    with session_scope() as s, pytest.raises(AuthError):
        sign_in(email=email, password="wrong password here", ip=None, session=s, throttle=SignInThrottle())
    return (time.perf_counter() - start) * 1000


def test_unknown_and_known_emails_take_the_same_time(app_env: Callable[..., None]) -> None:  # noqa: F811
    """Issue 9 (low): 184 ms for a known email vs 22 ms for an unknown one."""
    app_env(AGENTHUB_PASSWORD_HASH_PROFILE="rfc9106")  # the production cost, which must dominate
    known, _, _ = _account()
    _sign_in_ms(known), _sign_in_ms(_email())  # warm up (the dummy hash is made once)
    # Interleaved, so load from other work on a shared machine hits both alike; the old code's
    # ratio was ~0.1 (an unknown e-mail skipped the hash), the fixed code's is ~1.
    pairs = [(_sign_in_ms(known), _sign_in_ms(_email())) for _ in range(7)]
    known_ms = statistics.median(k for k, _ in pairs)
    unknown_ms = statistics.median(u for _, u in pairs)
    assert 0.4 < unknown_ms / known_ms < 2.5, (known_ms, unknown_ms)


@pytest.mark.parametrize(
    ("header", "token"),
    [
        ("", ""),
        ("agenthub_session=abc", "abc"),
        ('theme=dark; x="a b"; agenthub_session=tok-1_2', "tok-1_2"),
        ("other_agenthub_session=no", ""),
    ],
)
def test_session_token_from_cookie_header(header: str, token: str) -> None:
    assert session_token_from_cookie_header(header) == token
