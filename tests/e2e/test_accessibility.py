"""axe-core on the main pages: no serious or critical accessibility violations.

Each page is checked as a user sees it: signed out (sign-in, sign-up), and signed in with a
connection, an agent and a finished reply (connections, chat, settings). ``tests/support/axe.py``
runs the check; a failure lists every failing element with what the rule asks for.
"""

from __future__ import annotations

import pytest
from playwright.sync_api import expect

from tests.support.axe import axe_violations, describe
from tests.support.e2e import actor_for, add_agent, add_connection, send, sign_up

pytestmark = pytest.mark.e2e


def test_sign_in_and_sign_up_pages(page) -> None:  # type: ignore[no-untyped-def]
    page.goto("/signin")
    expect(page.get_by_label("Email")).to_be_visible()
    found = axe_violations(page)
    assert not found, "/signin: " + describe(found)

    page.goto("/signup")
    expect(page.get_by_label("Confirm password")).to_be_visible()
    found = axe_violations(page)
    assert not found, "/signup: " + describe(found)

    page.goto("/marketplace")
    expect(page.get_by_role("heading", name="Marketplace", level=1)).to_be_visible()
    page.wait_for_load_state("networkidle")
    found = axe_violations(page)
    assert not found, "/marketplace (signed out): " + describe(found)


def test_connections_chat_and_settings_pages(page, llm_server) -> None:  # type: ignore[no-untyped-def]
    llm_server.reply = "Here is **an answer** with a [link](https://example.com)."
    actor = actor_for(sign_up(page))
    agent = add_agent(
        actor, add_connection(actor, llm_server, check=True), name="Helper", starters=("What can you do?",)
    )

    page.goto("/connections")
    expect(page.get_by_text("Local test server").first).to_be_visible()
    found = axe_violations(page)
    assert not found, "/connections: " + describe(found)

    page.goto("/chat")
    expect(page.get_by_role("button", name="What can you do?")).to_be_visible()
    found = axe_violations(page)
    assert not found, "/chat (empty conversation): " + describe(found)
    send(page, "Hello")
    log = page.get_by_role("log", name="Conversation")
    expect(log).to_have_attribute("aria-live", "polite")  # new replies are read out
    expect(page.locator(".chat-figures").last).to_be_visible(timeout=30_000)
    expect(log).to_have_attribute("aria-busy", "false")  # ...once stored, not token by token
    expect(log.locator(".chat-reply").last).to_contain_text("an answer")
    found = axe_violations(page)
    assert not found, "/chat (after a reply): " + describe(found)

    # focus order follows the page: the message box, then Send
    page.get_by_label("Message", exact=True).focus()
    page.keyboard.press("Tab")
    expect(page.get_by_role("button", name="Send")).to_be_focused()
    # a dialog keeps the focus inside until it is closed, then gives it back
    trigger = page.get_by_role("button", name="Delete conversation Hello")
    trigger.focus()
    page.keyboard.press("Enter")
    dialog = page.get_by_role("alertdialog")
    expect(dialog).to_be_visible()
    found = axe_violations(page)
    assert not found, "/chat (delete dialog): " + describe(found)
    for _ in range(4):
        page.keyboard.press("Tab")
        assert dialog.evaluate("d => d.contains(document.activeElement)"), "focus left the open dialog"
    page.keyboard.press("Escape")
    expect(dialog).to_have_count(0)
    expect(trigger).to_be_focused()

    page.goto("/settings")
    expect(page.get_by_role("heading", name="Settings", level=1)).to_be_visible()
    page.wait_for_load_state("networkidle")
    found = axe_violations(page)
    assert not found, "/settings: " + describe(found)

    page.goto(f"/agents/{agent}")
    expect(page.get_by_role("tablist", name="Agent settings")).to_be_visible()
    page.wait_for_load_state("networkidle")
    found = axe_violations(page)
    assert not found, "/agents/<id> (builder, Instructions tab): " + describe(found)
    for tab in ("Tools", "Limits", "Listing"):
        page.get_by_role("tab", name=tab).click()
        page.wait_for_load_state("networkidle")
        found = axe_violations(page)
        assert not found, f"/agents/<id> (builder, {tab} tab): " + describe(found)
