"""The developer API end to end: a key created on the Developers page calls an agent over HTTP and
the run shows in the chat history; the embed widget on a static page of another origin chats
through the API in Chromium."""

from __future__ import annotations

import functools
import http.server
import re
import threading
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
from playwright.sync_api import expect
from sqlmodel import select

from tests.support.e2e import actor_for, add_agent, add_connection, new_account
from tests.support.llm_server import DEFAULT_REPLY
from tests.support.scaleout_checks import wait_for

pytestmark = pytest.mark.e2e


def _model_id(actor, agent_id: str) -> str:  # type: ignore[no-untyped-def]
    from backend.api.edge import agent_model_id, own_agents
    from backend.db import session_scope

    with session_scope() as s:
        return next(agent_model_id(a) for a in own_agents(actor.workspace_id, s) if a.id == agent_id)


@pytest.fixture
def static_site(tmp_path: Path) -> Iterator[tuple[str, Path]]:
    """A plain static web server on another port (another origin than the app)."""
    handler = functools.partial(http.server.SimpleHTTPRequestHandler, directory=str(tmp_path))
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_address[1]}", tmp_path
    server.shutdown()
    thread.join(5)


def _create_key(page, name: str) -> str:  # type: ignore[no-untyped-def]
    page.get_by_label("Name").fill(name)
    page.get_by_role("button", name="Create key").click()
    notice = page.get_by_text("Copy your new key now: it is shown only once.")
    expect(notice).to_be_visible(timeout=15_000)
    key_block = page.locator("pre").first
    expect(key_block).to_contain_text("ah")
    return key_block.inner_text().strip()


def test_a_key_from_the_developers_page_calls_the_agent_and_the_run_shows_in_chat(
    page, llm_server, app_url: str
) -> None:  # type: ignore[no-untyped-def]
    email = new_account(page)
    actor = actor_for(email)
    agent_id = add_agent(actor, add_connection(actor, llm_server), name="Support bot")
    page.get_by_role("link", name="Developers").click()
    expect(page.get_by_role("heading", name="Developers")).to_be_visible()
    expect(page.get_by_text("No API keys yet.")).to_be_visible()
    model = _model_id(actor, agent_id)
    expect(page.get_by_text(model)).to_be_visible()

    key = _create_key(page, "My backend")
    assert key.startswith("ahk_")
    expect(page.get_by_role("table")).to_contain_text("My backend")
    expect(page.get_by_role("table")).to_contain_text("Never used")

    reply = httpx.post(
        f"{app_url}/api/v1/chat/completions",
        headers={"Authorization": f"Bearer {key}"},
        json={"model": model, "messages": [{"role": "user", "content": "Hello from my script"}]},
        timeout=30,
    )
    assert reply.status_code == 200, reply.text
    assert reply.json()["choices"][0]["message"]["content"] == DEFAULT_REPLY

    page.goto(f"/chat?agent={agent_id}")
    conversation = page.locator(".chat-conversation").filter(has_text="Hello from my script")
    expect(conversation).to_be_visible(timeout=15_000)
    conversation.click()
    expect(page.locator(".chat-msg-user")).to_have_text("Hello from my script")
    expect(page.get_by_text(DEFAULT_REPLY)).to_be_visible()

    # the key is listed as used; revoking asks first, then the API refuses it
    page.goto("/developers")
    table = page.get_by_role("table")
    expect(table).not_to_contain_text("Never used")
    page.get_by_role("button", name="Revoke My backend").click()
    page.get_by_role("button", name="Delete").click()
    expect(table).to_contain_text("Revoked")
    again = httpx.get(f"{app_url}/api/v1/models", headers={"Authorization": f"Bearer {key}"}, timeout=10)
    assert again.status_code == 401


def test_the_embed_widget_chats_from_another_website(page, llm_server, static_site, app_url: str) -> None:  # type: ignore[no-untyped-def]
    from backend.db import session_scope
    from backend.models import Run

    site_url, site_dir = static_site
    email = new_account(page)
    actor = actor_for(email)
    agent_id = add_agent(actor, add_connection(actor, llm_server), name="Shop helper")
    page.goto(f"/developers?kind=publishable&target=agent:{agent_id}")  # the agent page's "Embed on a website"
    expect(page.get_by_label("Kind")).to_contain_text("Publishable (website widget)")
    expect(page.get_by_label("Can use")).to_contain_text("Agent: Shop helper")
    page.get_by_label("Allowed websites").fill(site_url)
    key = _create_key(page, "Shop website")
    assert key.startswith("ahp_")
    snippet = page.locator("pre").nth(1).inner_text().strip()
    assert re.search(r'<script src="http://127\.0\.0\.1:\d+/api/v1/widget\.js"', snippet), snippet

    (site_dir / "index.html").write_text(
        f"<!doctype html><html lang=en><head><title>Shop</title></head><body><h1>My shop</h1>{snippet}</body></html>"
    )
    page.goto(f"{site_url}/index.html")
    page.get_by_role("button", name="Open chat: Chat with us").click()
    page.get_by_label("Your message").fill("Do you ship abroad?")
    page.get_by_role("button", name="Send").click()
    answer = page.locator("[data-agenthub-widget] [data-role=assistant]")
    expect(answer).to_have_text(DEFAULT_REPLY, timeout=20_000)

    def finished_runs() -> list[Run]:
        with session_scope() as s:
            rows = s.exec(select(Run).where(Run.agent_id == agent_id)).all()
        return list(rows) if rows and all(r.status != "running" for r in rows) else []

    # The last token reaches the page just before the server records the run's end.
    runs = wait_for(finished_runs, timeout_s=20)
    assert len(runs) == 1 and runs[0].status == "succeeded"  # type: ignore[arg-type,index]
    assert runs[0].user_id != actor.user_id  # type: ignore[index]  # the website's visitor, not the publisher

    # the same snippet on a website the key does not allow is refused
    other = static_site_other(site_dir)
    try:
        page.goto(f"{other[0]}/index.html")
        page.get_by_role("button", name="Open chat: Chat with us").click()
        page.get_by_label("Your message").fill("Hello?")
        page.get_by_role("button", name="Send").click()
        expect(page.locator("[data-agenthub-widget] [data-role=error]")).to_contain_text(
            "not allowed from this website"
        )
    finally:
        other[1].shutdown()


def static_site_other(directory: Path) -> tuple[str, http.server.ThreadingHTTPServer]:
    """The same files on yet another port: an origin the key does not list."""
    handler = functools.partial(http.server.SimpleHTTPRequestHandler, directory=str(directory))
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    return f"http://127.0.0.1:{server.server_address[1]}", server
