"""The builder's draft in the browser: edits survive a reload, one Save version, preview, discard."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import expect

from backend.agents.service import get_blueprint
from backend.chat.service import create_conversation
from backend.db import session_scope
from tests.support.e2e import actor_for, add_agent, add_connection, new_account, send

pytestmark = pytest.mark.e2e


def _system_prompt(llm_server) -> str:  # type: ignore[no-untyped-def]
    return " ".join(str(m.get("content")) for m in llm_server.received_messages[-1] if m.get("role") == "system")


def test_ticked_tool_and_instructions_survive_a_reload_and_save_version_keeps_the_tool(page, llm_server) -> None:  # type: ignore[no-untyped-def]
    """Regression (issue 11): the main Save used to drop a ticked tool from the new version."""
    actor = actor_for(new_account(page))
    agent_id = add_agent(actor, add_connection(actor, llm_server))
    page.goto(f"/agents/{agent_id}")
    status = page.locator("#draft-status")
    expect(status).to_have_text("v1 (saved)")

    page.get_by_role("tab", name="Tools").click()
    page.get_by_label("Calculator", exact=True).click()
    expect(status).to_have_text("Draft — unsaved changes")
    page.get_by_role("tab", name="Instructions").click()
    page.get_by_role("textbox", name="Instructions").fill("Answer like a pirate.")
    page.get_by_role("textbox", name="Instructions").press("Tab")
    page.screenshot(path="/tmp/builder_draft.png", full_page=True)

    page.reload()
    expect(status).to_have_text("Draft — unsaved changes")
    expect(page.get_by_role("textbox", name="Instructions")).to_have_value("Answer like a pirate.")
    page.get_by_role("tab", name="Tools").click()
    expect(page.get_by_label("Calculator", exact=True)).to_be_checked()
    with session_scope() as s:
        assert get_blueprint(actor=actor, agent_id=agent_id, session=s).tools == []  # not a version yet

    page.get_by_label("Version note (optional)").fill("Pirate with a calculator")
    page.get_by_role("button", name="Save version").click()
    expect(page.get_by_text("Saved as v2")).to_be_visible()
    expect(status).to_have_text("v2 (saved)")
    page.reload()
    expect(status).to_have_text("v2 (saved)")
    page.get_by_role("tab", name="Tools").click()
    expect(page.get_by_label("Calculator", exact=True)).to_be_checked()
    with session_scope() as s:
        saved = get_blueprint(actor=actor, agent_id=agent_id, session=s)
        assert (saved.version, saved.tools, saved.instructions, saved.note) == (
            2,
            ["calculator"],
            "Answer like a pirate.",
            "Pirate with a calculator",
        )

    # the knowledge upload offers one file control to assistive technology, and it works
    page.get_by_role("tab", name="Knowledge").click()
    tree = page.locator("#knowledge-dropzone").aria_snapshot()
    assert tree.count("button") == 1 and 'button "Choose files"' in tree, tree
    with page.expect_file_chooser():
        page.get_by_role("button", name="Choose files").click()


def test_preview_runs_the_draft_an_old_conversation_keeps_v1_and_discard_goes_back(page, llm_server) -> None:  # type: ignore[no-untyped-def]
    actor = actor_for(new_account(page))
    agent_id = add_agent(actor, add_connection(actor, llm_server))
    with session_scope() as s:
        old_conv = create_conversation(actor=actor, agent_id=agent_id, session=s).id
    page.goto(f"/agents/{agent_id}")
    page.get_by_role("textbox", name="Instructions").fill("Answer like a pirate.")
    page.get_by_role("textbox", name="Instructions").press("Tab")
    expect(page.locator("#draft-status")).to_have_text("Draft — unsaved changes")

    page.get_by_label("Message to the preview").fill("Who are you?")
    page.get_by_role("button", name="Send to preview").click()
    expect(page.locator(".preview-reply").last).to_contain_text("Hello! I am a test model.", timeout=30_000)
    assert "Answer like a pirate." in _system_prompt(llm_server)
    page.screenshot(path="/tmp/builder_preview.png", full_page=True)

    page.goto(f"/chat?c={old_conv}")
    send(page, "And in the old chat?")
    expect(page.locator(".chat-reply").last).to_contain_text("Hello! I am a test model.", timeout=30_000)
    assert _system_prompt(llm_server) == "Answer briefly."

    page.goto(f"/agents/{agent_id}")
    page.get_by_role("button", name="Discard draft").click()
    dialog = page.get_by_role("alertdialog")
    expect(dialog).to_contain_text("Discard the draft?")
    for _ in range(3):  # focus stays inside the dialog
        page.keyboard.press("Tab")
        assert dialog.evaluate("d => d.contains(document.activeElement)")
    dialog.get_by_role("button", name="Discard").click()
    expect(page.locator("#draft-status")).to_have_text("v1 (saved)")
    expect(page.get_by_role("textbox", name="Instructions")).to_have_value("Answer briefly.")
    expect(page.get_by_role("button", name="Discard draft")).to_be_disabled()

    # on a narrow screen the preview folds under a button
    page.set_viewport_size({"width": 900, "height": 800})
    expect(page.get_by_label("Message to the preview")).to_be_hidden()
    page.get_by_role("button", name="Preview", exact=True).click()
    expect(page.get_by_label("Message to the preview")).to_be_visible()
    assert re.search(r"/agents/[0-9a-f]{32}/?$", page.url)
