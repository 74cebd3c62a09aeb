"""Issue 16 item 4 in Chromium: sign in with the local OpenID Connect provider.

The app is configured with the session's local provider (``tests/e2e/conftest.py``); the
browser goes to the provider, which approves at once, and comes back signed in by an HttpOnly
cookie the callback set.
"""

from __future__ import annotations

import re
import time
import uuid
from datetime import UTC, datetime

import pyotp
import pytest
from playwright.sync_api import expect

from backend.security.sessions import SESSION_COOKIE
from tests.support.e2e import PASSWORD, sign_up
from tests.support.oidc_provider import LocalProvider

pytestmark = pytest.mark.e2e


def test_sign_in_with_the_local_provider_creates_the_account(page, oidc_provider: LocalProvider) -> None:  # type: ignore[no-untyped-def]
    email = f"sso-{uuid.uuid4().hex[:8]}@example.com"
    oidc_provider.user = {"sub": f"e2e-{uuid.uuid4().hex}", "email": email, "email_verified": True}
    oidc_provider.tamper = None
    page.goto("/signin")
    page.get_by_role("button", name="Continue with Local ID").click()
    expect(page.get_by_role("button", name="Sign out")).to_be_visible()
    expect(page).to_have_url(re.compile(r"/agents"))
    cookie = next(c for c in page.context.cookies() if c["name"] == SESSION_COOKIE)
    assert cookie["httpOnly"] and cookie["sameSite"] == "Lax"
    page.goto("/account")  # the Account page lists the linked provider
    expect(page.get_by_role("cell", name=email)).to_be_visible()
    expect(page.get_by_role("cell", name="Local ID", exact=True)).to_be_visible()


def test_a_registered_email_is_asked_for_its_password(page, oidc_provider: LocalProvider) -> None:  # type: ignore[no-untyped-def]
    email = sign_up(page)
    page.context.clear_cookies()
    oidc_provider.user = {"sub": f"e2e-{uuid.uuid4().hex}", "email": email, "email_verified": False}
    oidc_provider.tamper = None
    page.goto("/signin")
    page.get_by_role("button", name="Continue with Local ID").click()
    expect(page).to_have_url(re.compile(r"/signin/?\?sso=exists"))
    expect(page.get_by_text("Sign in with your password, then link the provider")).to_be_visible()
    assert not [c for c in page.context.cookies() if c["name"] == SESSION_COOKIE]


def test_a_forged_id_token_is_refused(page, oidc_provider: LocalProvider) -> None:  # type: ignore[no-untyped-def]
    oidc_provider.user = {"sub": f"e2e-{uuid.uuid4().hex}", "email": "forged@example.com", "email_verified": True}
    oidc_provider.tamper = "badsig"
    try:
        page.goto("/signin")
        page.get_by_role("button", name="Continue with Local ID").click()
        expect(page).to_have_url(re.compile(r"/signin/?\?sso=id_token"))
        expect(page.get_by_text("could not be verified")).to_be_visible()
    finally:
        oidc_provider.tamper = None


def _code(secret: str, ahead_s: float = 0) -> str:
    return pyotp.TOTP(secret).at(datetime.fromtimestamp(time.time() + ahead_s, UTC))


def test_two_factor_set_up_then_sign_in_with_a_code_used_once(page) -> None:  # type: ignore[no-untyped-def]
    email = sign_up(page)
    page.goto("/account")
    page.get_by_role("button", name="Set up two-factor sign-in").click()
    secret = page.get_by_label("Set-up key").inner_text().strip()
    page.get_by_label("Code from the app").fill(_code(secret))
    page.get_by_role("button", name="Turn on").click()
    expect(page.get_by_text("Recovery codes (each works once):")).to_be_visible()
    page.context.clear_cookies()  # another browser
    page.goto("/signin")

    page.get_by_label("Email").fill(email)
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    code = _code(secret, 30)  # the next step's code (one step of drift is accepted)
    page.get_by_label("Two-factor code").fill(code)
    page.get_by_role("button", name="Verify").click()
    expect(page.get_by_role("button", name="Sign out", exact=True)).to_be_visible()

    page.context.clear_cookies()
    page.goto("/signin")
    page.get_by_label("Email").fill(email)
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    page.get_by_label("Two-factor code").fill(code)  # the same code again
    page.get_by_role("button", name="Verify").click()
    expect(page.get_by_text("That code is not right, or was already used.")).to_be_visible()
    assert not [c for c in page.context.cookies() if c["name"] == SESSION_COOKIE]
