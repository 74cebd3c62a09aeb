"""A huge paste in the chat composer gets a clear message, never a silently dropped socket."""

from __future__ import annotations

import pytest
from playwright.sync_api import expect
from sqlmodel import select

from tests.support.agents import agent, connection
from tests.support.e2e import new_account

pytestmark = pytest.mark.e2e


def _actor_for(email: str):  # type: ignore[no-untyped-def]
    from backend.accounts.actor import Actor
    from backend.db import session_scope
    from backend.models import User, Workspace

    with session_scope() as s:
        user = s.exec(select(User).where(User.email == email.lower())).one()
        ws = s.exec(select(Workspace).where(Workspace.owner_id == user.id)).first()
        assert ws is not None
        return Actor(user_id=user.id, workspace_id=ws.id)


def test_a_5_mb_paste_shows_the_limit_and_the_chat_keeps_working(page, llm_server) -> None:  # type: ignore[no-untyped-def]
    llm_server.reply = None  # echo: "You said: <message>"
    actor = _actor_for(new_account(page))
    agent(actor, connection(actor, llm_server), name="Echo")
    page.goto("/chat")
    expect(page.get_by_label("Agent")).to_contain_text("Echo")

    box = page.get_by_label("Message", exact=True)
    box.focus()
    page.keyboard.insert_text("x" * 5_000_000)  # what a paste does
    page.get_by_role("button", name="Send").click()
    expect(page.get_by_text("Messages are at most 32,000 characters.")).to_be_visible(timeout=15_000)
    assert len(box.input_value()) <= 32_001

    box.fill("still there?")
    page.get_by_role("button", name="Send").click()
    expect(page.locator(".chat-reply").last).to_contain_text("You said: still there?")
