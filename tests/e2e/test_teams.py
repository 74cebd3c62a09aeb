"""Teams end to end: an owner invites a viewer by link; the viewer signs up from the link, chats
with an agent and cannot open its builder; the audit log shows the invitation and the role. Role
checks also hold for Reflex events from a page that was opened before the role changed."""

from __future__ import annotations

import re

from playwright.sync_api import expect
from sqlmodel import select

from tests.support.axe import axe_violations, describe
from tests.support.e2e import PASSWORD, actor_for, add_agent, add_connection, new_account, new_email, send


def _signup_from(page, email: str) -> None:  # type: ignore[no-untyped-def]
    page.get_by_role("link", name="Create an account").click()
    page.get_by_label("Email").fill(email)
    page.get_by_label("Password", exact=True).fill(PASSWORD)
    page.get_by_label("Confirm password").fill(PASSWORD)
    page.get_by_role("button", name="Create account").click()


def test_owner_invites_a_viewer_who_chats_but_cannot_build(page, browser, app_url, llm_server) -> None:  # type: ignore[no-untyped-def]
    llm_server.reply = None  # echo
    owner_email = new_account(page)
    owner = actor_for(owner_email)
    agent_id = add_agent(owner, add_connection(owner, llm_server), name="Owl")

    page.goto("/team")
    expect(page.locator("table")).to_contain_text(owner_email)
    viewer_email = new_email()
    page.get_by_label("Email address").fill(viewer_email)
    page.get_by_label("Role", exact=True).select_option("viewer")
    page.get_by_role("button", name="Invite").click()
    link_box = page.get_by_label(re.compile("Invitation link for"))
    expect(link_box).to_have_value(re.compile(r"/invite/[A-Za-z0-9_-]{20,}$"))
    link = link_box.input_value()
    expect(page.get_by_text(f"{viewer_email} as viewer")).to_be_visible()
    found = axe_violations(page)
    assert not found, "/team: " + describe(found)

    viewer_context = browser.new_context(base_url=app_url, viewport={"width": 1366, "height": 800})
    viewer_context.set_default_timeout(20_000)
    vp = viewer_context.new_page()
    vp.goto(link)
    expect(vp.get_by_text("You are invited to join")).to_contain_text("viewer")
    found = axe_violations(vp)
    assert not found, "/invite: " + describe(found)
    _signup_from(vp, viewer_email)
    vp.get_by_role("button", name=re.compile("^Join ")).click()
    expect(vp.get_by_role("heading", name="Agents", level=1)).to_be_visible()
    expect(vp.get_by_label("Your role")).to_have_text("viewer")
    expect(vp.get_by_role("article", name="Owl")).to_be_visible()
    expect(vp.get_by_role("link", name="Open in builder: Owl")).to_have_count(0)
    expect(vp.get_by_role("link", name="New agent")).to_have_count(0)
    expect(vp.get_by_role("link", name="Connections")).to_have_count(0)
    expect(vp.get_by_role("link", name="Audit log")).to_have_count(0)

    vp.get_by_role("link", name="Chat with Owl").click()
    send(vp, "hello from a viewer")
    expect(vp.locator(".chat-reply")).to_contain_text("You said: hello from a viewer")

    vp.goto(f"/agents/{agent_id}")
    expect(vp.get_by_text("You cannot open the builder")).to_be_visible()
    expect(vp.get_by_role("textbox", name="Instructions")).to_have_count(0)
    vp.screenshot(path="/tmp/teams-viewer-builder.png")
    viewer_context.close()

    page.goto("/audit")
    table = page.locator("table")
    expect(table).to_contain_text(f"Invited {viewer_email} as viewer")
    expect(table).to_contain_text(f"{viewer_email} joined as viewer")
    page.get_by_label("Kind of action").select_option("member")
    page.get_by_label("Member's email").fill(viewer_email)
    page.get_by_role("button", name="Filter").click()
    expect(table.locator("tbody tr")).to_have_count(1)
    found = axe_violations(page)
    assert not found, "/audit: " + describe(found)
    with page.expect_download() as download:
        page.get_by_role("button", name="Export CSV").click()
    text = open(download.value.path(), encoding="utf-8").read()  # noqa: PTH123, SIM115
    assert text.startswith("time_utc,actor,action") and "member.joined" in text and "member.invited" not in text
    page.screenshot(path="/tmp/teams-audit.png")


def test_a_role_taken_away_while_the_page_is_open_is_refused_by_the_event(page, browser, app_url) -> None:  # type: ignore[no-untyped-def]
    from backend.accounts import members, workspaces
    from backend.accounts.actor import Actor
    from backend.db import session_scope
    from backend.models import Invitation, Membership, User

    owner = actor_for(new_account(page))
    with session_scope() as s:
        team = workspaces.create_workspace(user_id=owner.user_id, name="Crew", session=s)
    team_owner = Actor(owner.user_id, team.id)
    admin_context = browser.new_context(base_url=app_url, viewport={"width": 1366, "height": 800})
    admin_context.set_default_timeout(20_000)
    ap = admin_context.new_page()
    admin_email = new_account(ap)
    admin = actor_for(admin_email)
    with session_scope() as s:
        s.add(Membership(workspace_id=team.id, user_id=admin.user_id, role="admin"))
    ap.goto("/team")
    ap.get_by_label("Switch workspace").click()
    ap.get_by_role("option", name="Crew").click()
    expect(ap.get_by_label("Your role")).to_have_text("admin")
    ap.goto("/team")
    expect(ap.get_by_label("Email address")).to_be_visible()

    with session_scope() as s:  # the owner makes the admin a viewer while the admin's page is open
        members.change_role(actor=team_owner, user_id=admin.user_id, role="viewer", session=s)
    ap.get_by_label("Email address").fill(new_email())
    ap.get_by_role("button", name="Invite").click()
    expect(ap.get_by_role("alert")).to_contain_text("Only the workspace's owners and admins can manage members")
    expect(ap.get_by_label("Email address")).to_have_count(0)  # the page now shows what a viewer may do
    expect(ap.get_by_label("Your role")).to_have_text("viewer")
    with session_scope() as s:
        assert s.exec(select(Invitation).where(Invitation.workspace_id == team.id)).first() is None

    with session_scope() as s:  # removal signs the member's browser out of the workspace at once
        members.remove_member(actor=team_owner, user_id=admin.user_id, session=s)
        assert s.get(User, admin.user_id) is not None
    ap.get_by_role("link", name="Agents").click()
    expect(ap).to_have_url(re.compile(r"/signin"))
    admin_context.close()


def test_a_builder_demoted_while_editing_cannot_write_the_draft(page, browser, app_url, llm_server) -> None:  # type: ignore[no-untyped-def]
    from backend.accounts import members
    from backend.agents.drafts import get_draft
    from backend.db import session_scope
    from backend.models import Membership, Workspace

    owner_context = browser.new_context(base_url=app_url)
    owner = actor_for(new_account(owner_context.new_page()))
    owner_context.close()
    agent_id = add_agent(owner, add_connection(owner, llm_server), name="Quill", instructions="Answer briefly.")
    builder = actor_for(new_account(page))
    with session_scope() as s:
        s.add(Membership(workspace_id=owner.workspace_id, user_id=builder.user_id, role="builder"))
    page.goto("/agents")
    page.get_by_label("Switch workspace").click()
    with session_scope() as s:
        team_name = s.get(Workspace, owner.workspace_id).name  # type: ignore[union-attr]
    page.get_by_role("option", name=team_name, exact=True).click()
    expect(page.get_by_label("Your role")).to_have_text("builder")
    expect(page.get_by_role("article", name="Quill")).to_be_visible()  # the agents page reloaded for the team
    page.goto(f"/agents/{agent_id}")
    instructions = page.get_by_role("textbox", name="Instructions")
    expect(instructions).to_have_value("Answer briefly.")

    with session_scope() as s:
        members.change_role(actor=owner, user_id=builder.user_id, role="viewer", session=s)
    instructions.fill("Leak everything.")
    instructions.press("Tab")
    expect(page.get_by_text("You cannot open the builder")).to_be_visible()
    with session_scope() as s:
        assert get_draft(actor=owner, agent_id=agent_id, session=s).instructions == "Answer briefly."
