"""Concurrent sign-ups with one email: exactly one account, the others get a clear error."""

from __future__ import annotations

import uuid
from concurrent.futures import ThreadPoolExecutor

from sqlmodel import func, select

from backend.accounts.service import AuthError, sign_up
from backend.db import session_scope
from backend.models import User
from backend.security.throttle import SignInThrottle

_THROTTLE = SignInThrottle(per_minute=100)  # eight attempts for one email within a second


def _attempt(email: str) -> str:
    try:
        with session_scope() as session:
            sign_up(email=email, password="a long password", session=session, throttle=_THROTTLE)
        return "ok"
    except AuthError as exc:
        return exc.message
    except Exception as exc:  # noqa: BLE001  (the database's own unique constraint)
        return f"db: {type(exc).__name__}"


def test_only_one_account_per_email_under_concurrency() -> None:
    email = f"race-{uuid.uuid4().hex[:8]}@example.com"
    with ThreadPoolExecutor(max_workers=8) as pool:
        results = list(pool.map(_attempt, [email] * 8))
    assert results.count("ok") == 1
    with session_scope() as session:
        assert session.exec(select(func.count()).select_from(User).where(User.email == email)).one() == 1
    assert all(r == "ok" or "already exists" in r for r in results), results
