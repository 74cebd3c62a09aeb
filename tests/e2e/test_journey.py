"""The whole first-use journey through the UI only: sign up, connect, test, build an agent, chat.

The connection points at the local OpenAI-compatible test server (streaming, with usage). The
agent uses ``gpt-4o-mini``, a name LiteLLM's price map knows, so the reply has a real cost.
Finally, the database must not contain the API key in plain text.
"""

from __future__ import annotations

import re
import uuid
from pathlib import Path

import pytest
from playwright.sync_api import expect

import tests.support.e2e as chat
from tests.support.e2e import sign_up

pytestmark = pytest.mark.e2e


def test_sign_up_connect_build_an_agent_and_chat(page, llm_server, data_dir: Path) -> None:  # type: ignore[no-untyped-def]
    key = f"sk-journey-{uuid.uuid4().hex}"
    llm_server.api_key = key
    llm_server.reply = chat.REPLY
    llm_server.chunk_delay_ms = 40

    # 1. sign up: a new account lands on the connections page
    email = sign_up(page)
    expect(page).to_have_url(re.compile(r"/connections"))

    # 2. add an "OpenAI-compatible endpoint" connection and test it
    page.get_by_role("button", name="Add connection", exact=True).click()
    form = page.get_by_role("form", name="Add a connection")
    form.get_by_label("Provider").click()
    page.get_by_role("option", name="OpenAI-compatible endpoint").click()
    form.get_by_label("Name").fill("Local server")
    form.get_by_label("Base URL").fill(llm_server.base_url)
    form.get_by_label("API key").fill(key)
    form.get_by_role("button", name="Save connection").click()
    row = page.get_by_role("article", name="Local server")
    expect(row).to_be_visible()
    row.get_by_role("button", name="Test connection Local server").click()
    expect(row).to_contain_text("OK · 2 models")
    assert key not in page.content()

    # 3. build an agent on that connection
    page.goto("/agents/new")
    page.get_by_label("Name").fill("Journey bot")
    page.get_by_label("Connection").click()
    page.get_by_role("option", name=re.compile("Local server")).click()
    page.get_by_role("button", name="gpt-4o-mini", exact=True).click()
    expect(page.get_by_label("Model")).to_have_value("gpt-4o-mini")
    page.get_by_label("Instructions").fill("You are a friendly coding helper.")
    page.get_by_label("Conversation starters").fill("Show me hello world in Python\nWhat can you do?")
    page.get_by_role("button", name="Save").click()
    expect(page.get_by_text("Saved as v1")).to_be_visible()

    # 4. chat: the agent is preselected, its starters are offered; the reply streams in
    page.get_by_role("link", name="Open chat").click()
    expect(page).to_have_url(re.compile(r"/chat/?\?agent="))
    expect(page.get_by_label("Agent")).to_contain_text("Journey bot")
    page.get_by_role("button", name="Show me hello world in Python").click()
    expect(page.get_by_role("button", name="Stop")).to_be_visible()
    stream = page.locator("#stream-reply")
    expect(stream).to_contain_text("hello world")
    first = len(stream.inner_text())
    page.wait_for_function(
        "n => (document.getElementById('stream-reply')?.innerText.length ?? 0) > n", arg=first, timeout=10_000
    )

    # 5. tokens and cost under the reply (gpt-4o-mini has a list price, so the cost is not $0)
    figures = page.locator(".chat-figures").last
    expect(figures).to_contain_text(re.compile(r"\d+ \+ \d+ tokens · \$0\.0\d+ · [\d,]+ ms"), timeout=15_000)
    expect(figures).to_contain_text("model gpt-4o-mini")
    expect(page.locator(".chat-reply pre").last).to_contain_text("print('hello world')")
    page.screenshot(path="/tmp/journey-chat.png")

    rows = chat.stored_messages(chat.actor_for(email), chat.conversation_id_from(page.url))
    assert rows[-1].run_status == "succeeded" and rows[-1].cost_nano_usd > 0 and not rows[-1].cost_note
    assert llm_server.chat_requests[-1].json["stream"] is True

    # 6. the key is stored encrypted only
    assert key not in page.content()
    chat.assert_no_plaintext_key(data_dir, key)
