"""Issue 16 in Chromium: sign in with the local OpenID Connect provider.

The app is configured with the session's local provider (``tests/e2e/conftest.py``); the
browser goes to the provider, which approves at once, and comes back signed in by an HttpOnly
cookie the callback set. Also: a viewer invited by link signs in with the provider (a first
sign-in creates the account) and lands back on the invitation; an account with two-factor
sign-in on is asked for its code after the provider.
"""

from __future__ import annotations

import re
import time
import uuid
from datetime import UTC, datetime

import pyotp
import pytest
from playwright.sync_api import expect
from sqlmodel import select

from backend.security.sessions import SESSION_COOKIE
from tests.support.e2e import PASSWORD, add_agent, add_connection, new_account, new_email, send
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
    email = new_account(page)
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
    email = new_account(page)
    page.goto("/account")
    page.get_by_role("button", name="Set up two-factor sign-in").click()
    secret = page.get_by_label("Set-up key").inner_text().strip()
    page.get_by_label("Code from the app").fill(_code(secret))
    page.get_by_role("button", name="Turn on").click()
    # Ten argon2 hashes (64 MiB each) of the recovery codes: allow for a busy machine.
    expect(page.get_by_text("Recovery codes (each works once):")).to_be_visible(timeout=30_000)
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


def _switch_to(page, name: str) -> None:  # type: ignore[no-untyped-def]
    page.get_by_label("Switch workspace").click()
    page.get_by_role("option", name=name, exact=True).click()
    expect(page.get_by_label("Your role")).to_have_text("owner")


def _invite(page, email: str, role: str) -> str:  # type: ignore[no-untyped-def]
    page.get_by_label("Email address").fill(email)
    page.get_by_label("Role", exact=True).select_option(role)
    page.get_by_role("button", name="Invite").click()
    link_box = page.get_by_label(f"Invitation link for {email}")
    expect(link_box).to_have_value(re.compile(r"/invite/[A-Za-z0-9_-]{20,}$"))
    return str(link_box.input_value())


def _builder_sees_what_a_builder_may(context, link: str, email: str, agent_id: str) -> None:  # type: ignore[no-untyped-def]
    """A builder invited by link (a new account with a password) edits agents, sees connections
    without managing them, and neither manages members nor reads the audit log."""
    bp = context.new_page()
    bp.goto(link)
    bp.get_by_role("link", name="Create an account").click()
    bp.get_by_label("Email").fill(email)
    bp.get_by_label("Password", exact=True).fill(PASSWORD)
    bp.get_by_label("Confirm password").fill(PASSWORD)
    bp.get_by_role("button", name="Create account").click()
    bp.get_by_role("button", name=re.compile("^Join ")).click()
    expect(bp.get_by_label("Your role")).to_have_text("builder")
    expect(bp.get_by_role("link", name="Open in builder: Owl")).to_be_visible()
    expect(bp.get_by_role("link", name="Audit log")).to_have_count(0)
    bp.goto(f"/agents/{agent_id}")
    expect(bp.get_by_role("textbox", name="Instructions")).to_be_visible()
    bp.goto("/connections")
    expect(bp.get_by_text("Local test server")).to_be_visible()
    expect(bp.get_by_role("button", name="Add connection")).to_have_count(0)
    bp.goto("/team")
    expect(bp.locator("table")).to_contain_text(email)
    expect(bp.get_by_label("Email address")).to_have_count(0)
    bp.goto("/audit")
    expect(bp.get_by_text("Only the workspace's owners and admins can see the audit trail.")).to_be_visible()
    expect(bp.locator("table")).to_have_count(0)


def test_a_viewer_invited_by_link_signs_in_with_the_provider_chats_and_cannot_build(  # type: ignore[no-untyped-def]
    page, browser, app_url, llm_server, oidc_provider: LocalProvider
) -> None:
    from backend.accounts.actor import Actor
    from backend.db import session_scope
    from backend.models import Membership, User, UserIdentity, Workspace

    llm_server.reply = None  # echo
    owner_email = new_account(page)
    team_name = f"Support {uuid.uuid4().hex[:6]}"
    page.goto("/team")
    page.get_by_label("New workspace").fill(team_name)
    page.get_by_role("button", name="Create and switch").click()
    expect(page.get_by_label("Switch workspace")).to_contain_text(team_name)
    with session_scope() as s:
        team = s.exec(select(Workspace).where(Workspace.name == team_name)).one()
        team_owner = Actor(team.owner_id, team.id)
    agent_id = add_agent(team_owner, add_connection(team_owner, llm_server), name="Owl")

    page.goto("/team")
    viewer_email, builder_email = new_email(), new_email()
    link = _invite(page, viewer_email, "viewer")
    builder_link = _invite(page, builder_email, "builder")

    viewer_context = browser.new_context(base_url=app_url, viewport={"width": 1366, "height": 800})
    viewer_context.set_default_timeout(20_000)
    vp = viewer_context.new_page()
    vp.goto(link)  # signed out, no account yet
    expect(vp.get_by_text("You are invited to join")).to_contain_text(team_name)
    subject = f"e2e-viewer-{uuid.uuid4().hex}"
    oidc_provider.user = {"sub": subject, "email": viewer_email, "email_verified": True}
    oidc_provider.tamper = None
    vp.get_by_role("button", name="Continue with Local ID").click()
    expect(vp).to_have_url(re.compile(r"/invite/[A-Za-z0-9_-]{20,}$"))  # back to the invitation
    assert link.endswith(vp.url.split("/invite/", 1)[1])
    vp.get_by_role("button", name=re.compile("^Join ")).click()
    expect(vp.get_by_role("heading", name="Agents", level=1)).to_be_visible()
    expect(vp.get_by_label("Your role")).to_have_text("viewer")
    expect(vp.get_by_label("Switch workspace")).to_contain_text(team_name)
    expect(vp.get_by_role("article", name="Owl")).to_be_visible()
    expect(vp.get_by_role("link", name="Open in builder: Owl")).to_have_count(0)
    expect(vp.get_by_role("link", name="Connections")).to_have_count(0)
    with session_scope() as s:  # the provider's first sign-in made the account (no password)
        viewer = s.exec(select(User).where(User.email == viewer_email)).one()
        assert not viewer.password_hash
        assert s.exec(select(UserIdentity).where(UserIdentity.subject == subject)).one().user_id == viewer.id
        assert s.get(Membership, (team.id, viewer.id)).role == "viewer"  # type: ignore[union-attr]

    vp.get_by_role("link", name="Chat with Owl").click()
    send(vp, "hello from a provider viewer")
    expect(vp.locator(".chat-reply")).to_contain_text("You said: hello from a provider viewer")
    vp.goto(f"/agents/{agent_id}")
    expect(vp.get_by_text("You cannot open the builder")).to_be_visible()
    expect(vp.get_by_role("textbox", name="Instructions")).to_have_count(0)
    viewer_context.close()
    builder_context = browser.new_context(base_url=app_url, viewport={"width": 1366, "height": 800})
    builder_context.set_default_timeout(20_000)
    _builder_sees_what_a_builder_may(builder_context, builder_link, builder_email, agent_id)
    builder_context.close()

    page.goto("/audit")
    table = page.locator("table")
    for line in (
        f"Invited {viewer_email} as viewer",
        f"{viewer_email} joined as viewer",
        f"Invited {builder_email} as builder",
        f"{builder_email} joined as builder",
    ):
        expect(table).to_contain_text(line)
    expect(table).to_contain_text(owner_email)  # who invited


def test_two_factor_is_asked_after_a_provider_sign_in(page, oidc_provider: LocalProvider) -> None:  # type: ignore[no-untyped-def]
    """Regression: a provider sign-in into such an account used to be refused outright."""
    email = f"sso-tf-{uuid.uuid4().hex[:8]}@example.com"
    oidc_provider.user = {"sub": f"e2e-{uuid.uuid4().hex}", "email": email, "email_verified": True}
    oidc_provider.tamper = None
    page.goto("/signin")
    page.get_by_role("button", name="Continue with Local ID").click()
    expect(page.get_by_role("button", name="Sign out")).to_be_visible()
    page.goto("/account")
    page.get_by_role("button", name="Set up two-factor sign-in").click()
    secret = page.get_by_label("Set-up key").inner_text().strip()
    page.get_by_label("Code from the app").fill(_code(secret))
    page.get_by_role("button", name="Turn on").click()
    # Ten argon2 hashes (64 MiB each) of the recovery codes: allow for a busy machine.
    expect(page.get_by_text("Recovery codes (each works once):")).to_be_visible(timeout=30_000)
    recovery = [c for c in page.locator("code").all_inner_texts() if re.fullmatch(r"[0-9a-f]{6}-[0-9a-f]{6}", c)]
    assert len(recovery) == 10

    page.context.clear_cookies()  # another browser
    page.goto("/signin?next=/settings")
    page.get_by_role("button", name="Continue with Local ID").click()
    expect(page).to_have_url(re.compile(r"/signin/?\?step=code"))
    expect(page.get_by_label("Two-factor code")).to_be_visible()
    assert not [c for c in page.context.cookies() if c["name"] == SESSION_COOKIE]
    page.get_by_label("Two-factor code").fill("000000")
    page.get_by_role("button", name="Verify").click()
    expect(page.get_by_text("That code is not right, or was already used.")).to_be_visible()
    assert not [c for c in page.context.cookies() if c["name"] == SESSION_COOKIE]
    page.get_by_label("Two-factor code").fill(recovery[0])
    page.get_by_role("button", name="Verify").click()
    expect(page.get_by_role("button", name="Sign out", exact=True)).to_be_visible()
    expect(page).to_have_url(re.compile(r"/settings"))

    page.context.clear_cookies()  # the waiting sign-in was used once: a reload asks to start again
    page.goto("/signin?step=code")
    expect(page.get_by_text("The code step timed out or had too many wrong codes.")).to_be_visible()
    expect(page.get_by_label("Two-factor code")).to_have_count(0)
