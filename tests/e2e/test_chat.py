"""The chat page in the browser: streamed replies with figures, starters, errors, Stop, history.

Connections and agents are set up through the backend services (the app shares this test
session's database); the chat itself is driven through the page against the local
OpenAI-compatible test server, reached by the app over real HTTP.
"""

from __future__ import annotations

import re
import uuid
from pathlib import Path

import pytest
from playwright.sync_api import expect
from sqlmodel import select

from tests.support.e2e import (
    REPLY,
    actor_for,
    add_agent,
    add_connection,
    assert_no_plaintext_key,
    conversation_id_from,
    new_account,
    send,
    sign_up,
    stored_messages,
)

pytestmark = pytest.mark.e2e


def test_no_agents_shows_an_empty_state(page) -> None:  # type: ignore[no-untyped-def]
    new_account(page)
    page.goto("/chat")
    expect(page.get_by_role("heading", name="No agents yet")).to_be_visible()
    page.get_by_role("link", name="Create an agent").click()
    expect(page).to_have_url(re.compile(r"/agents"))


def test_journey_sign_up_connect_chat_and_no_plaintext_key(page, llm_server, data_dir: Path) -> None:  # type: ignore[no-untyped-def]
    key = f"sk-e2e-{uuid.uuid4().hex}"
    llm_server.api_key = key
    llm_server.reply = REPLY
    llm_server.chunk_delay_ms = 40
    email = sign_up(page)
    actor = actor_for(email)
    conn_id = add_connection(actor, llm_server, api_key=key, check=True)
    add_agent(actor, conn_id, name="Code helper")

    page.goto("/chat")
    expect(page.get_by_label("Agent")).to_contain_text("Code helper")
    expect(page.get_by_role("heading", name="Code helper").first).to_be_visible()
    send(page, "Show me hello world in Python")

    # streaming: the Stop button shows, the composer is locked and the reply grows
    expect(page.get_by_role("button", name="Stop")).to_be_visible()
    expect(page.get_by_label("Message", exact=True)).to_be_disabled()
    stream = page.locator("#stream-reply")
    expect(stream).to_contain_text("hello world")
    first = len(stream.inner_text())
    page.wait_for_function(
        "n => (document.getElementById('stream-reply')?.innerText.length ?? 0) > n", arg=first, timeout=10_000
    )
    expect(page.locator(".chat-msg-user")).to_have_text("Show me hello world in Python")

    # done: figures from the database under the reply, markdown with a code block
    figures = page.locator(".chat-figures").last
    expect(figures).to_contain_text(re.compile(r"\d+ \+ \d+ tokens · \$0 · [\d,]+ ms"), timeout=15_000)
    expect(figures).to_contain_text("model test-model")
    expect(page.get_by_text("price unknown for test-model: counted as $0")).to_be_visible()
    expect(page.locator(".chat-reply pre").last).to_contain_text("print('hello world')")
    expect(page.locator(".chat-reply strong").last).to_have_text("hello world")
    expect(page.get_by_role("button", name="Stop")).to_have_count(0)
    expect(page.get_by_label("Message", exact=True)).to_be_enabled()
    page.screenshot(path="/tmp/chat-reply.png")

    conv_id = conversation_id_from(page.url)
    rows = stored_messages(actor, conv_id)
    assert [m.role for m in rows] == ["user", "assistant"]
    assert rows[1].content == REPLY and rows[1].run_status == "succeeded"
    assert rows[1].prompt_tokens > 0 and rows[1].completion_tokens > 0 and rows[1].cost_nano_usd == 0
    assert rows[1].latency_ms is not None and rows[1].ttft_ms is not None
    expect(figures).to_contain_text(f"{rows[1].prompt_tokens} + {rows[1].completion_tokens} tokens")

    # the conversation is listed; it reopens after a reload and from the list
    expect(page.locator(".chat-conversation")).to_contain_text("Show me hello world in Python")
    page.reload()
    expect(page.locator(".chat-msg-user")).to_have_text("Show me hello world in Python")
    expect(page.locator(".chat-reply pre")).to_contain_text("print('hello world')")
    page.goto("/chat")
    expect(page.get_by_role("heading", name="Code helper").first).to_be_visible()
    expect(page.locator(".chat-msg-user")).to_have_count(0)
    page.get_by_role("button", name=re.compile("^Show me hello world in Python")).click()
    expect(page.locator(".chat-figures")).to_contain_text("model test-model")
    expect(page).to_have_url(re.compile(rf"c={conv_id}"))

    assert_no_plaintext_key(data_dir, key)


def test_starters_show_on_an_empty_conversation_and_send(page, llm_server) -> None:  # type: ignore[no-untyped-def]
    llm_server.reply = None  # echo: "You said: <message>"
    actor = actor_for(new_account(page))
    conn_id = add_connection(actor, llm_server)
    with_starters = add_agent(actor, conn_id, name="Joker", starters=("What can you do?", "Tell me a joke"))
    add_agent(actor, conn_id, name="Plain")  # newest, so the default pick

    page.goto("/chat")
    expect(page.get_by_label("Agent")).to_contain_text("Plain")
    expect(page.get_by_text("Send a message to start the conversation.")).to_be_visible()
    page.goto(f"/chat?agent={with_starters}")
    expect(page.get_by_label("Agent")).to_contain_text("Joker")
    expect(page.get_by_role("button", name="What can you do?")).to_be_visible()
    page.screenshot(path="/tmp/chat-starters.png")
    page.get_by_role("button", name="Tell me a joke").click()
    expect(page.locator(".chat-msg-user")).to_have_text("Tell me a joke")
    expect(page.locator(".chat-reply")).to_contain_text("You said: Tell me a joke")
    expect(page.get_by_role("button", name="What can you do?")).to_have_count(0)

    # New conversation shows the starters again; the picker switches agents
    page.get_by_role("button", name="New conversation").click()
    expect(page.get_by_role("button", name="What can you do?")).to_be_visible()
    page.get_by_label("Agent").click()
    page.get_by_role("option", name=re.compile("Plain")).click()
    expect(page.get_by_text("No conversations yet")).to_be_visible()
    expect(page).to_have_url(re.compile(r"agent="))

    # delete a conversation, after confirming
    page.get_by_label("Agent").click()
    page.get_by_role("option", name=re.compile("Joker")).click()
    page.get_by_role("button", name="Delete conversation Tell me a joke").click()
    expect(page.get_by_role("alertdialog")).to_contain_text("cannot be undone")
    page.get_by_role("button", name="Delete", exact=True).click()
    expect(page.get_by_text("No conversations yet")).to_be_visible()


def test_provider_errors_show_in_the_chat_and_keep_the_message(page, llm_server) -> None:  # type: ignore[no-untyped-def]
    from backend.db import session_scope
    from backend.models import Run

    actor = actor_for(new_account(page))
    add_agent(actor, add_connection(actor, llm_server), name="Fragile")
    page.goto("/chat")
    expect(page.get_by_label("Agent")).to_contain_text("Fragile")

    llm_server.fail_next(500, times=3)  # the gateway retries twice before giving up
    send(page, "Are you there?")
    error = page.locator(".chat-error")
    expect(error).to_contain_text("The reply failed.")
    expect(error).to_contain_text("internal error (500)")
    expect(page.locator(".chat-msg-user")).to_have_text("Are you there?")
    expect(page.get_by_label("Message", exact=True)).to_be_enabled()
    page.screenshot(path="/tmp/chat-error.png")

    llm_server.fail_next(429, times=3)
    send(page, "Try again please")
    expect(error.nth(1)).to_contain_text("rate-limiting")
    expect(page.locator(".chat-msg-user")).to_have_count(2)

    conv_id = conversation_id_from(page.url)
    rows = stored_messages(actor, conv_id)
    assert [m.content for m in rows if m.role == "user"] == ["Are you there?", "Try again please"]
    with session_scope() as s:
        runs = s.exec(select(Run).where(Run.conversation_id == conv_id)).all()
    assert sorted(r.status for r in runs) == ["failed", "failed"]
    assert all(r.error for r in runs)

    # after errors, the conversation still works
    send(page, "Third time lucky")
    expect(page.locator(".chat-reply").last).to_contain_text("Hello! I am a test model.")
    page.reload()
    expect(page.locator(".chat-error")).to_have_count(2)
    expect(page.locator(".chat-msg-user")).to_have_count(3)


def test_stop_keeps_the_partial_answer(page, llm_server) -> None:  # type: ignore[no-untyped-def]
    from backend.db import session_scope
    from backend.models import Run

    words = " ".join(f"word{i}" for i in range(60))
    llm_server.reply = words
    llm_server.chunk_delay_ms = 250
    actor = actor_for(new_account(page))
    add_agent(actor, add_connection(actor, llm_server), name="Slowpoke")
    page.goto("/chat")
    expect(page.get_by_label("Agent")).to_contain_text("Slowpoke")
    send(page, "Count slowly")
    expect(page.locator("#stream-reply")).to_contain_text("word2")
    page.screenshot(path="/tmp/chat-streaming.png")
    page.get_by_role("button", name="Stop").click()
    expect(page.get_by_text("Stopped — the partial answer is kept.")).to_be_visible()
    expect(page.get_by_role("button", name="Stop")).to_have_count(0)
    reply = page.locator(".chat-reply").last
    expect(reply).to_contain_text("word2")
    expect(reply).not_to_contain_text("word59")

    conv_id = conversation_id_from(page.url)
    rows = stored_messages(actor, conv_id)
    assert rows[-1].run_status == "cancelled" and rows[-1].content.startswith("word0 word1 word2")
    assert "word59" not in rows[-1].content
    with session_scope() as s:
        run = s.exec(select(Run).where(Run.conversation_id == conv_id)).one()
    assert run.status == "cancelled"

    # the composer is usable again
    llm_server.chunk_delay_ms = 0
    llm_server.reply = "Done now."
    expect(page.get_by_label("Message", exact=True)).to_be_enabled()
    page.get_by_label("Message", exact=True).fill("And now quickly")
    page.get_by_label("Message", exact=True).press("Enter")  # Enter sends
    expect(page.locator(".chat-reply").last).to_have_text("Done now.")
    expect(page.locator(".chat-msg-user")).to_have_count(2)


def test_stop_before_the_first_token(page, llm_server) -> None:  # type: ignore[no-untyped-def]
    llm_server.first_token_delay_ms = 20_000
    actor = actor_for(new_account(page))
    add_agent(actor, add_connection(actor, llm_server), name="Sleepy")
    page.goto("/chat")
    expect(page.get_by_label("Agent")).to_contain_text("Sleepy")
    send(page, "Anyone home?")
    expect(page.get_by_text("Thinking…")).to_be_visible()
    page.get_by_role("button", name="Stop").click()
    expect(page.get_by_text("Stopped before any answer arrived.")).to_be_visible(timeout=5_000)
    expect(page.locator(".chat-msg-user")).to_have_text("Anyone home?")
    expect(page.get_by_label("Message", exact=True)).to_be_enabled()
    rows = stored_messages(actor, conversation_id_from(page.url))
    assert [(m.role, m.run_status) for m in rows] == [("user", ""), ("assistant", "cancelled")]
