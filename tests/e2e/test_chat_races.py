"""Chat defects that show with quick hands: opening a chat for another agent while the page still
holds the previous conversation, messages sent right after a reply, and the address bar after
the first message of a new conversation.

Each test drives the page the way a person does and checks what was stored.
"""

from __future__ import annotations

import re
import uuid

import pytest
from playwright.sync_api import expect
from sqlmodel import col, select

from tests.support.e2e import actor_for, add_agent, add_connection, conversation_id_from, new_account, send

pytestmark = pytest.mark.e2e

ROUNDS = 30

# Records, from before a navigation, every moment the page shows a given text.
WATCH_JS = """text => {
    window.__seen = [];
    const check = () => {
        if (document.body.innerText.includes(text)) window.__seen.push(location.href);
    };
    new MutationObserver(check).observe(document.body, {subtree: true, childList: true, characterData: true});
    check();
}"""


def _stored(agent_id: str) -> list[tuple[str, str, str]]:
    """``(conversation id, role, content)`` of every message of the agent's conversations, in order."""
    from backend.db import session_scope
    from backend.models import Conversation, Message

    with session_scope() as s:
        rows = s.exec(
            select(Message.conversation_id, Message.role, Message.content)
            .join(Conversation, col(Conversation.id) == col(Message.conversation_id))
            .where(Conversation.agent_id == agent_id)
            .order_by(col(Message.created_at), col(Message.role).desc())
        ).all()
    return [(c, r, t) for c, r, t in rows]


def _open_builder_client_side(page, name: str) -> None:  # type: ignore[no-untyped-def]
    """Sidebar "Agents", then the agent's "Open in builder" (no page load: the app keeps its state)."""
    page.get_by_role("navigation", name="Main").get_by_role("link", name="Agents").click()
    card = page.get_by_role("article", name=name, exact=True)
    card.get_by_role("link", name=re.compile("^Open in builder")).click()
    expect(page.get_by_role("link", name="Open chat")).to_be_visible()


def test_open_chat_never_shows_or_continues_the_previous_conversation(page, llm_server) -> None:  # type: ignore[no-untyped-def]
    llm_server.reply = None  # echo: "You said: <message>"
    actor = actor_for(new_account(page))
    conn_id = add_connection(actor, llm_server)
    first = add_agent(actor, conn_id, name="Owl")
    second = add_agent(actor, conn_id, name="Lark")
    old = f"remember {uuid.uuid4().hex[:8]}"

    page.goto(f"/chat?agent={first}")
    send(page, old)
    expect(page.locator(".chat-reply").last).to_have_text(f"You said: {old}")
    old_conversation = conversation_id_from(page.url)

    _open_builder_client_side(page, "Lark")
    page.evaluate(WATCH_JS, old)
    page.get_by_role("link", name="Open chat").click()
    # type at once, the way a quick hand does: the message belongs to the new conversation
    box = page.get_by_label("Message", exact=True)
    box.fill("hello lark")
    box.press("Enter")
    expect(page.locator(".chat-reply").last).to_have_text("You said: hello lark")
    expect(page.get_by_role("heading", name="Lark").first).to_be_visible()

    assert page.evaluate("window.__seen") == [], "the previous conversation was shown after Open chat"
    expect(page).to_have_url(re.compile(r"[?&]c=[0-9a-f]+"))
    new_conversation = conversation_id_from(page.url)
    assert new_conversation != old_conversation
    assert _stored(second) == [
        (new_conversation, "user", "hello lark"),
        (new_conversation, "assistant", "You said: hello lark"),
    ]
    assert [t for _, _, t in _stored(first)] == [old, f"You said: {old}"]
    page.reload()
    expect(page.locator(".chat-msg-user")).to_have_text(["hello lark"])


def test_second_message_right_after_the_first_reply_is_never_lost(page, llm_server) -> None:  # type: ignore[no-untyped-def]
    llm_server.reply = None  # echo: a short reply
    actor = actor_for(new_account(page))
    agent_id = add_agent(actor, add_connection(actor, llm_server), name="Quick")
    box = page.get_by_label("Message", exact=True)
    for i in range(ROUNDS):
        page.goto(f"/agents/{agent_id}")
        page.get_by_role("link", name="Open chat").click()  # a new conversation, client-side navigation
        box.fill(f"first {i}")
        box.press("Enter")
        expect(page.locator(".chat-reply").last).to_have_text(f"You said: first {i}")
        expect(page).to_have_url(re.compile(r"[?&]c=[0-9a-f]+"))  # the address follows the new conversation
        expect(box).to_be_enabled()
        box.fill(f"second {i}")
        box.press("Enter")  # right after the reply
        expect(page.locator(".chat-reply")).to_have_count(2)
        expect(page.locator(".chat-reply").last).to_have_text(f"You said: second {i}")

    stored = _stored(agent_id)
    conversations = list(dict.fromkeys(c for c, _, _ in stored))
    assert len(conversations) == ROUNDS
    for i, conv in enumerate(conversations):
        assert [(r, t) for c, r, t in stored if c == conv] == [
            ("user", f"first {i}"),
            ("assistant", f"You said: first {i}"),
            ("user", f"second {i}"),
            ("assistant", f"You said: second {i}"),
        ]
