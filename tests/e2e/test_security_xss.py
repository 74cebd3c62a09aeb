"""Model output is hostile: HTML in a reply shows as text, never as elements or script.

The local OpenAI-compatible test server replies with script-carrying HTML and a
``javascript:`` link; Chromium must show it as text while it streams and after a reload,
with no dialog ever opened and no CSP violation needed to stop it.
"""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import expect
from sqlmodel import select

from tests.support.agents import agent, connection
from tests.support.e2e import new_account

pytestmark = pytest.mark.e2e

IFRAME = '<iframe srcdoc="<script>alert(parent.document.cookie)</script>"></iframe>'
PAYLOAD = (
    f"Start {IFRAME} then <style>body {{ display: none }}</style> and "
    '<object data="data:text/html,<script>alert(2)</script>"></object> and '
    '<embed src="data:text/html,<script>alert(3)</script>"> and '
    "<img src=x onerror=alert(1)> and [bad link](javascript:alert(4)) and "
    "[data link](data:text/html,<script>alert(5)</script>) and "
    "[good link](https://example.com/page) and [mail](mailto:someone@example.com) " + " ".join(["filler"] * 60) + " END"
)
FORBIDDEN = "iframe, object, embed, style, script, img"


def _actor_for(email: str):  # type: ignore[no-untyped-def]
    from backend.accounts.actor import Actor
    from backend.db import session_scope
    from backend.models import User, Workspace

    with session_scope() as s:
        user = s.exec(select(User).where(User.email == email.lower())).one()
        ws = s.exec(select(Workspace).where(Workspace.owner_id == user.id)).first()
        assert ws is not None
        return Actor(user_id=user.id, workspace_id=ws.id)


def _assert_inert(reply) -> None:  # type: ignore[no-untyped-def]
    """The reply holds the payload as text, and no element it names."""
    expect(reply).to_contain_text("<iframe srcdoc=")
    expect(reply).to_contain_text("<img src=x onerror=alert(1)>")
    expect(reply).to_contain_text("<style>")
    assert reply.locator(FORBIDDEN).count() == 0
    assert reply.locator('a[href^="javascript"], a[href^="data"]').count() == 0


def _assert_links(reply) -> None:  # type: ignore[no-untyped-def]
    for name in ("bad link", "data link"):
        link = reply.locator("a", has_text=name)
        href = link.get_attribute("href") if link.count() else ""
        assert not href or not re.match(r"^\s*(javascript|data):", href, re.I), href
    good = reply.locator("a", has_text="good link")
    expect(good).to_have_attribute("href", "https://example.com/page")
    expect(good).to_have_attribute("rel", re.compile(r"(?=.*noopener)(?=.*noreferrer)"))
    expect(reply.locator("a", has_text="mail")).to_have_attribute("href", "mailto:someone@example.com")


def test_html_in_a_reply_is_text_live_and_after_reload(page, llm_server) -> None:  # type: ignore[no-untyped-def]
    dialogs: list[str] = []
    page.on("dialog", lambda d: (dialogs.append(d.message), d.dismiss()))
    llm_server.reply = PAYLOAD
    llm_server.chunk_delay_ms = 40
    actor = _actor_for(new_account(page))
    agent(actor, connection(actor, llm_server), name="Parrot")

    page.goto("/chat")
    expect(page.get_by_label("Agent")).to_contain_text("Parrot")
    page.get_by_label("Message", exact=True).fill("Repeat after me")
    page.get_by_role("button", name="Send").click()

    # live: while the reply streams, the HTML already received is text
    stream = page.locator("#stream-reply")
    expect(stream).to_contain_text("good link")
    _assert_inert(stream)
    _assert_links(stream)
    expect(page.get_by_role("button", name="Stop")).to_be_visible()  # still streaming

    # done, then reloaded from the database
    expect(page.get_by_role("button", name="Stop")).to_have_count(0, timeout=20_000)
    reply = page.locator(".chat-reply").last
    expect(reply).to_contain_text("END")
    _assert_inert(reply)
    _assert_links(reply)
    page.reload()
    reply = page.locator(".chat-reply").last
    expect(reply).to_contain_text("END")
    _assert_inert(reply)
    _assert_links(reply)
    assert page.locator("#chat-messages").locator(FORBIDDEN).count() == 0
    expect(page.locator("body")).to_be_visible()  # the <style> did not hide the page
    page.wait_for_timeout(500)  # give an onerror / srcdoc script a chance to fire
    assert dialogs == []
