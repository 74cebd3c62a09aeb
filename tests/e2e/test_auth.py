"""Accounts in the browser: sign up, sign out, sign in, inline errors, the login guard."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import expect

from tests.support.e2e import PASSWORD, new_email, sign_up

pytestmark = pytest.mark.e2e


def test_private_pages_redirect_to_sign_in(page) -> None:  # type: ignore[no-untyped-def]
    page.goto("/connections")
    expect(page).to_have_url(re.compile(r"/signin"))
    expect(page.get_by_role("heading", name="Sign in")).to_be_visible()


def test_sign_up_sign_out_and_sign_in_again(page) -> None:  # type: ignore[no-untyped-def]
    email = sign_up(page)
    expect(page.get_by_text(email)).to_be_visible()
    page.get_by_role("button", name="Sign out").click()
    expect(page).to_have_url(re.compile(r"/signin"))
    page.goto("/agents")
    expect(page).to_have_url(re.compile(r"/signin"))
    page.get_by_label("Email").fill(email)
    page.get_by_label("Password").fill("wrong password here")
    page.get_by_role("button", name="Sign in").click()
    expect(page.get_by_role("alert")).to_contain_text("Wrong email or password")
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    expect(page.get_by_role("button", name="Sign out")).to_be_visible()


def test_sign_up_errors_are_inline(page) -> None:  # type: ignore[no-untyped-def]
    page.goto("/signup")
    page.get_by_label("Email").fill(new_email())
    page.get_by_label("Password", exact=True).fill("short")
    page.get_by_label("Confirm password").fill("short")
    page.get_by_role("button", name="Create account").click()
    expect(page.get_by_text("at least 10 characters", exact=False).last).to_be_visible()
    taken = sign_up(page)
    page.get_by_role("button", name="Sign out").click()
    expect(page).to_have_url(re.compile(r"/signin"))  # sign-out is a form post, then a redirect
    page.goto("/signup")
    page.get_by_label("Email").fill(taken)
    page.get_by_label("Password", exact=True).fill(PASSWORD)
    page.get_by_label("Confirm password").fill(PASSWORD)
    page.get_by_role("button", name="Create account").click()
    expect(page.get_by_text("already exists")).to_be_visible()
