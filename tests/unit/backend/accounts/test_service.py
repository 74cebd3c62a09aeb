"""Sign-up, sign-in, throttling and sessions, against a real database."""

from __future__ import annotations

import uuid
from datetime import timedelta

import pytest
from sqlmodel import select

from backend.accounts.service import AuthError, sign_in, sign_out, sign_up, user_for_token
from backend.db import session_scope
from backend.models import AuthSession, User
from backend.models.common import utcnow
from backend.security.sessions import hash_token
from backend.security.throttle import MAX_EMAIL_DELAY_S, SignInThrottle


def _email() -> str:
    return f"Person{uuid.uuid4().hex[:8]}@Example.com"


def test_sign_up_creates_user_workspace_and_session_storing_only_hashes() -> None:
    email = _email()
    with session_scope() as s:
        user, token = sign_up(email=email, password="a long password", session=s)
    assert user.email == email.lower()
    assert user.workspace_id
    with session_scope() as s:
        row = s.exec(select(User).where(User.email == email.lower())).one()
        assert "a long password" not in row.password_hash and row.password_hash.startswith("$argon2id$")
        stored = s.exec(select(AuthSession).where(AuthSession.user_id == row.id)).one()
        assert stored.token_hash == hash_token(token) and token not in stored.token_hash
        assert user_for_token(token=token, session=s) == user


@pytest.mark.parametrize(
    ("email", "password", "field", "fragment"),
    [
        ("not-an-email", "a long password", "email", "valid email"),
        ("ok@example.com", "short", "password", "at least 10"),
    ],
)
def test_sign_up_rejects_bad_input_with_field_errors(email: str, password: str, field: str, fragment: str) -> None:
    with session_scope() as s, pytest.raises(AuthError) as err:
        sign_up(email=email, password=password, session=s)
    assert err.value.field == field and fragment in err.value.message


def test_duplicate_email_is_a_clear_error_even_with_other_case() -> None:
    email = _email()
    with session_scope() as s:
        sign_up(email=email, password="a long password", session=s)
    with session_scope() as s, pytest.raises(AuthError, match="already exists"):
        sign_up(email=email.upper(), password="a long password", session=s)


def test_sign_in_and_sign_out() -> None:
    email = _email()
    with session_scope() as s:
        sign_up(email=email, password="a long password", session=s)
    with session_scope() as s:
        user, token = sign_in(
            email=email, password="a long password", ip="10.0.0.1", session=s, throttle=SignInThrottle()
        )
    with session_scope() as s:
        assert user_for_token(token=token, session=s) is not None
        sign_out(token=token, session=s)
    with session_scope() as s:
        assert user_for_token(token=token, session=s) is None


def test_wrong_password_and_unknown_email_give_the_same_message() -> None:
    email = _email()
    throttle = SignInThrottle()
    with session_scope() as s:
        sign_up(email=email, password="a long password", session=s)
    for candidate in (email, "nobody-" + email):
        with session_scope() as s, pytest.raises(AuthError, match="Wrong email or password"):
            sign_in(email=candidate, password="wrong password!", ip=None, session=s, throttle=throttle)


def test_five_failures_throttle_that_ip_but_never_lock_the_owner_out() -> None:
    """Issue 9 (low): 5 wrong passwords from anywhere locked the account for everyone."""
    email = _email()
    throttle = SignInThrottle(per_minute=5)
    with session_scope() as s:
        sign_up(email=email, password="a long password", session=s)
    for _ in range(5):
        with session_scope() as s, pytest.raises(AuthError, match="Wrong"):
            sign_in(email=email, password="nope nope nope", ip="192.0.2.7", session=s, throttle=throttle)
    with session_scope() as s, pytest.raises(AuthError, match=r"Too many failed sign-in attempts\. Try again in \d+ s"):
        sign_in(email=email, password="a long password", ip="192.0.2.7", session=s, throttle=throttle)
    with session_scope() as s:  # the owner, from their own address, still gets in
        user, _ = sign_in(email=email, password="a long password", ip="192.0.2.99", session=s, throttle=throttle)
    assert user.email == email.lower()


def test_failures_for_one_email_only_add_a_capped_delay() -> None:
    throttle = SignInThrottle(per_minute=5)
    email = _email()
    delays = []
    for n in range(12):
        throttle.record_failure(email, f"203.0.113.{n}")  # a spray from twelve addresses
        delays.append(throttle.email_delay_s(email))
    assert delays[:4] == [0.0] * 4
    assert delays[4] > 0 and delays == sorted(delays)
    assert max(delays) <= MAX_EMAIL_DELAY_S
    assert throttle.retry_after(email, "198.51.100.200") is None  # never a refusal for a fresh address


def test_throttle_per_ip_covers_many_emails() -> None:
    throttle = SignInThrottle(per_minute=5)
    for _ in range(20):
        with session_scope() as s, pytest.raises(AuthError, match="Wrong"):
            sign_in(email=_email(), password="whatever123", ip="198.51.100.4", session=s, throttle=throttle)
    with session_scope() as s, pytest.raises(AuthError, match="Too many"):
        sign_in(email=_email(), password="whatever123", ip="198.51.100.4", session=s, throttle=throttle)


def test_expired_session_is_rejected() -> None:
    with session_scope() as s:
        _, token = sign_up(email=_email(), password="a long password", session=s)
    with session_scope() as s:
        row = s.exec(select(AuthSession).where(AuthSession.token_hash == hash_token(token))).one()
        row.expires_at = utcnow() - timedelta(seconds=1)
        s.add(row)
    with session_scope() as s:
        assert user_for_token(token=token, session=s) is None
        assert user_for_token(token="", session=s) is None
