"""Knowledge and memory in the browser: upload with progress, citations in chat, isolation,
memory export/delete/forget, and the workspace's embedding model.

Connections and agents are set up through the backend services (the app shares this test
session's database); uploads, chats and settings are driven through the pages. The local
OpenAI-compatible test server answers chats (a scripted reply) and embeddings ("test-embed").
"""

from __future__ import annotations

import asyncio
import json
import re
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest
from playwright.sync_api import expect
from sqlmodel import select

from backend.accounts.actor import Actor
from backend.agents.service import create_agent
from backend.connections.service import create_connection
from backend.db import session_scope
from backend.gateway.probe import check_connection
from backend.memory.conversation import export_memories, get_memory_settings
from backend.memory.knowledge import list_sources
from backend.memory.quota import size_text
from backend.memory.retrieval import knowledge_search_for
from backend.models import BlueprintFields, EmbeddingSettings, Membership, User
from backend.models.common import utcnow
from tests.support.e2e import new_account

pytestmark = pytest.mark.e2e

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures" / "memory"
QUESTION = "What is the office door code for the Lisbon branch?"
ANSWER = "The office door code for the Lisbon branch is 4417 [1]."


# ----------------------------------------------------------------------------- helpers
def _actor(email: str) -> Actor:
    with session_scope() as s:
        user = s.exec(select(User).where(User.email == email)).one()
        member = s.exec(select(Membership).where(Membership.user_id == user.id)).one()
        return Actor(user_id=user.id, workspace_id=member.workspace_id)


def _in_thread(fn):  # type: ignore[no-untyped-def]
    """Run ``fn`` in a thread of its own (keeps ``asyncio.run`` away from Playwright's loop)."""
    with ThreadPoolExecutor(1) as pool:
        return pool.submit(fn).result()


def _connect(actor: Actor, server, name: str = "Local LLM") -> str:  # type: ignore[no-untyped-def]
    """A tested "OpenAI-compatible endpoint" connection to the test server."""

    def work() -> str:
        with session_scope() as s:
            conn = create_connection(
                actor=actor,
                name=name,
                provider="openai_compatible",
                api_key=server.api_key,
                base_url=server.base_url,
                session=s,
            )
        with session_scope() as s:
            checked = asyncio.run(check_connection(actor=actor, connection_id=conn.id, session=s))
        assert checked.status == "ok", checked.status_message
        return conn.id

    return _in_thread(work)


def _agent(actor: Actor, connection_id: str, name: str = "Handbook bot") -> str:
    fields = BlueprintFields(name=name, avatar="📚", connection_id=connection_id, model="test-model")
    with session_scope() as s:
        return create_agent(actor=actor, fields=fields, session=s)


def _setup(page, server, name: str = "Handbook bot") -> tuple[Actor, str]:  # type: ignore[no-untyped-def]
    actor = _actor(new_account(page))
    return actor, _agent(actor, _connect(actor, server), name)


def _source_row(page, name: str):  # type: ignore[no-untyped-def]
    return page.get_by_role("list", name="Knowledge sources").get_by_role("listitem").filter(has_text=name)


def _ask(page, agent_id: str, text: str) -> None:  # type: ignore[no-untyped-def]
    page.goto(f"/chat?agent={agent_id}")
    page.get_by_label("Message", exact=True).fill(text)
    page.get_by_role("button", name="Send").click()
    expect(page.get_by_role("button", name="Send")).to_be_enabled(timeout=30_000)


def _sources(page):  # type: ignore[no-untyped-def]
    return page.get_by_role("group", name="Sources")


def _search(actor: Actor, agent_id: str, query: str):  # type: ignore[no-untyped-def]
    """The agent's knowledge passages for ``query``, searched from this test process.

    LanceDB re-reads a table another process changed after its 1 s read-consistency interval,
    so a search right after the app wrote is retried for a few seconds until it sees a change.
    """
    return _in_thread(lambda: asyncio.run(knowledge_search_for(actor=actor, agent_id=agent_id, query=query)))


def _eventually(read, expected):  # type: ignore[no-untyped-def]
    """``read()`` once it equals ``expected`` (retried up to 5 s), else its last value."""
    deadline = time.monotonic() + 5
    value = read()
    while value != expected and time.monotonic() < deadline:
        time.sleep(0.3)
        value = read()
    return value


def _found_eventually(actor: Actor, agent_id: str, query: str, *, expected: bool) -> bool:
    return bool(_eventually(lambda: bool(_search(actor, agent_id, query)), expected))


def _memory_texts(actor: Actor, agent_id: str, expected: list[str]) -> list[str]:
    def read() -> list[str]:
        with session_scope() as s:
            return [m["text"] for m in export_memories(actor=actor, agent_id=agent_id, session=s)]

    return _eventually(read, expected)


# ------------------------------------------------------------------------------- tests
def test_upload_pdf_and_docx_with_progress_then_the_answer_cites_the_pdf(page, browser, app_url, llm_server) -> None:  # type: ignore[no-untyped-def]
    actor, agent_id = _setup(page, llm_server)
    page.goto(f"/agents/{agent_id}")
    knowledge = page.get_by_role("region", name="Knowledge", exact=True)
    heading = knowledge.get_by_role("heading", name="Knowledge", exact=True)
    page.get_by_role("tab", name="Knowledge").click()  # one click away, in its own tab
    expect(heading).to_be_in_viewport()
    expect(knowledge.get_by_text("keyword mode")).to_be_visible()
    expect(knowledge.get_by_text("up to 20 MB each")).to_be_visible()
    expect(knowledge.get_by_text("No knowledge yet")).to_be_visible()
    expect(knowledge.locator("#knowledge-storage")).to_have_text("Workspace storage: 0 B of 500 MB used")

    page.locator("#knowledge-dropzone input[type=file]").set_input_files(
        [str(FIXTURES / "handbook.pdf"), str(FIXTURES / "policy.docx"), str(FIXTURES / "encrypted.pdf")]
    )
    progress = page.get_by_role("progressbar", name="Indexing progress")
    expect(progress).to_be_visible()
    knowledge.screenshot(path="/tmp/memui_uploading.png")
    expect(progress).to_have_attribute("aria-valuenow", "100", timeout=30_000)
    expect(_source_row(page, "handbook.pdf")).to_contain_text("Indexed")
    expect(_source_row(page, "policy.docx")).to_contain_text("Indexed")
    bad = _source_row(page, "encrypted.pdf")
    expect(bad).to_contain_text("Failed")
    expect(bad).to_contain_text("The PDF is password-protected")
    expect(page.get_by_text("Done · 1 could not be read")).to_be_visible()
    kept = sum((FIXTURES / n).stat().st_size for n in ("handbook.pdf", "policy.docx"))  # the refused one is not kept
    expect(knowledge.locator("#knowledge-storage")).to_have_text(f"Workspace storage: {size_text(kept)} of 500 MB used")
    page.screenshot(path="/tmp/memui_knowledge.png", full_page=True)
    page.get_by_role("tab", name="Memory").click()  # the stats card
    expect(page.locator("#memory-stats")).to_contain_text(re.compile(r"[1-9]\d* passages?"))
    with session_scope() as s:
        statuses = {src.name: src.status for src in list_sources(actor=actor, agent_id=agent_id, session=s)}
    assert statuses == {"handbook.pdf": "indexed", "policy.docx": "indexed", "encrypted.pdf": "failed"}

    # A question only the PDF answers: the passage goes to the model and is cited under the answer.
    llm_server.reply = ANSWER
    _ask(page, agent_id, QUESTION)
    expect(page.locator(".chat-reply").last).to_contain_text("4417")
    sources = _sources(page).last
    expect(sources).to_contain_text("[1] handbook.pdf")  # the number the answer cites it by
    expect(sources).to_contain_text("knowledge")
    expect(sources).not_to_contain_text("policy.docx")
    context = " ".join(str(m.get("content")) for m in llm_server.chat_requests[-1].json["messages"])
    assert "4417" in context and "[1]" in context
    sources.locator("summary").first.click()
    expect(sources.get_by_text(re.compile("door code for the Lisbon branch is 4417"))).to_be_visible()
    page.screenshot(path="/tmp/memui_chat_citation.png")

    # Re-opening the conversation shows the stored citations.
    page.reload()
    expect(_sources(page).last).to_contain_text("[1] handbook.pdf")

    # Another user's agent, same question: nothing of the first user's documents.
    other = browser.new_context(base_url=app_url, viewport={"width": 1366, "height": 800})
    other.set_default_timeout(15_000)
    page2 = other.new_page()
    try:
        actor2, agent2 = _setup(page2, llm_server, name="Other bot")
        sent = len(llm_server.chat_requests)
        _ask(page2, agent2, QUESTION)
        expect(page2.locator(".chat-reply").last).to_be_visible()
        expect(_sources(page2)).to_have_count(0)
        assert len(llm_server.chat_requests) == sent + 1
        assert all("4417" not in str(m.get("content")) for m in llm_server.chat_requests[-1].json["messages"])
        assert not _found_eventually(actor2, agent2, "Lisbon office door code", expected=True)
    finally:
        other.close()
    assert _found_eventually(actor, agent_id, "Lisbon office door code", expected=True)  # the owner's agent does


def test_paste_text_url_and_remove_a_source(page, llm_server) -> None:  # type: ignore[no-untyped-def]
    actor, agent_id = _setup(page, llm_server)
    page.goto(f"/agents/{agent_id}?tab=knowledge")
    # Too big: refused by the browser before uploading. Wrong type: listed as failed with the reason.
    page.locator("#knowledge-dropzone input[type=file]").set_input_files(
        [{"name": "big.pdf", "mimeType": "application/pdf", "buffer": b"%PDF" + b"0" * 20_000_001}]
    )
    expect(page.get_by_text("big.pdf: larger than the 20 MB limit, not uploaded.")).to_be_visible()
    page.locator("#knowledge-dropzone input[type=file]").set_input_files(
        [{"name": "tool.exe", "mimeType": "application/octet-stream", "buffer": b"MZ\x90\x00"}]
    )
    expect(_source_row(page, "tool.exe")).to_contain_text("Unsupported file type .exe")
    expect(page.get_by_text("Added 0 of 1 file; see why below.")).to_be_visible()
    page.get_by_role("button", name="Dismiss").click()
    expect(page.get_by_text("big.pdf: larger than")).to_have_count(0)

    page.get_by_role("tab", name="Paste text").click()
    page.get_by_role("button", name="Add text").click()
    expect(page.get_by_text("Paste some text first.")).to_be_visible()
    page.get_by_label("Title").fill("Opening hours")
    page.get_by_label("Text", exact=True).fill("The Porto shop opens at 9:30 and closes at 18:00 on weekdays.")
    page.get_by_role("button", name="Add text").click()
    expect(_source_row(page, "Opening hours")).to_contain_text("Indexed", timeout=30_000)

    page.get_by_role("tab", name="Add a URL").click()
    page.get_by_label("Web address").fill("ftp://example.com/file.txt")
    page.get_by_role("button", name="Add URL").click()
    expect(page.get_by_text("Enter a web address starting with http:// or https://.")).to_be_visible()
    page.get_by_label("Web address").fill("http://127.0.0.1:9/private.html")  # the network guard refuses it
    page.get_by_role("button", name="Add URL").click()
    expect(_source_row(page, "127.0.0.1")).to_contain_text("Failed", timeout=30_000)
    expect(_source_row(page, "127.0.0.1").locator(".knowledge-error")).not_to_be_empty()

    assert _found_eventually(actor, agent_id, "Porto shop opens", expected=True)
    page.get_by_role("button", name="Remove Opening hours").click()
    dialog = page.get_by_role("alertdialog")
    expect(dialog).to_contain_text("Remove “Opening hours”?")
    dialog.get_by_role("button", name="Delete").click()
    expect(page.get_by_text("Removed “Opening hours” and its passages.")).to_be_visible()
    expect(_source_row(page, "Opening hours")).to_have_count(0)
    assert not _found_eventually(actor, agent_id, "Porto shop opens", expected=False)


def test_memory_switch_rules_export_forget_and_delete(page, llm_server) -> None:  # type: ignore[no-untyped-def]
    actor, agent_id = _setup(page, llm_server, name="Memo")
    page.goto(f"/agents/{agent_id}?tab=memory")
    memory = page.get_by_role("region", name="Memory", exact=True)
    switch = memory.get_by_role("switch", name="Long-term memory")
    expect(switch).to_have_attribute("aria-checked", "false")
    switch.click()
    expect(memory.get_by_text("Long-term memory is on")).to_be_visible()
    expect(switch).to_have_attribute("aria-checked", "true")

    memory.get_by_label("Forget memories older than (days)").fill("0")
    memory.get_by_role("button", name="Apply pruning rules").click()
    expect(memory.get_by_text("Enter whole days from 1 to 3650.")).to_be_visible()
    memory.get_by_label("Forget memories older than (days)").fill("30")
    memory.get_by_label("Most memories kept per user").fill("500")
    memory.get_by_role("button", name="Apply pruning rules").click()
    expect(memory.get_by_text("Pruning rules saved.")).to_be_visible()
    with session_scope() as s:
        rules = get_memory_settings(actor=actor, agent_id=agent_id, session=s)
    assert (rules.enabled, rules.max_age_days, rules.max_rows) == (True, 30, 500)

    llm_server.reply = "Noted: teal it is."
    _ask(page, agent_id, "My favourite colour is teal.")
    expect(page.locator(".chat-reply").last).to_contain_text("Noted")
    teal = "User: My favourite colour is teal.\nAssistant: Noted: teal it is."
    assert _memory_texts(actor, agent_id, [teal]) == [teal]

    # Forget this conversation: its memory goes, the messages stay.
    page.get_by_role("button", name="Forget this conversation").click()
    page.get_by_role("alertdialog").get_by_role("button", name="Forget").click()
    expect(page.get_by_text("Forgotten: the agent no longer remembers this conversation")).to_be_visible()
    expect(page.locator(".chat-reply").last).to_contain_text("Noted")
    assert _memory_texts(actor, agent_id, []) == []

    llm_server.reply = "Sure, Friday works."
    _ask(page, agent_id, "Book the team lunch for Friday.")
    page.goto(f"/agents/{agent_id}?tab=memory")
    expect(memory.locator("#memory-stats")).to_contain_text("1 memory")
    with page.expect_download() as download:
        memory.get_by_role("button", name="Export my memories (JSON)").click()
    exported = json.loads(Path(download.value.path()).read_text())
    assert [m["text"] for m in exported["memories"]] == [
        "User: Book the team lunch for Friday.\nAssistant: Sure, Friday works."
    ]
    assert exported["agent_id"] == agent_id

    memory.get_by_role("button", name="Delete all my memories").click()
    page.get_by_role("alertdialog").get_by_role("button", name="Delete").click()
    expect(memory.get_by_text("Deleted 1 memory.")).to_be_visible()
    expect(memory.locator("#memory-stats")).to_contain_text("0 memories")
    page.screenshot(path="/tmp/memui_memory.png", full_page=True)
    assert _memory_texts(actor, agent_id, []) == []


def test_embedding_model_setting_and_keyword_mode(page, llm_server) -> None:  # type: ignore[no-untyped-def]
    actor, agent_id = _setup(page, llm_server)
    page.goto(f"/agents/{agent_id}?tab=knowledge")
    page.locator("#knowledge-dropzone input[type=file]").set_input_files([str(FIXTURES / "readme.txt")])
    expect(_source_row(page, "readme.txt")).to_contain_text("Indexed", timeout=30_000)

    page.goto("/settings")
    section = page.get_by_role("region", name="Embedding model")
    expect(section.get_by_text("keyword mode", exact=True)).to_be_visible()
    expect(section.get_by_label("Embedding connection")).to_contain_text("Local LLM")
    section.get_by_label("Embedding model").fill("no-such-embedder")
    section.get_by_role("button", name="Save embedding model").click()
    expect(section.get_by_text(re.compile("^The test embedding failed: "))).to_be_visible(timeout=30_000)

    section.get_by_label("Embedding model").fill("test-embed")
    section.get_by_role("button", name="Save embedding model").click()
    expect(section.get_by_text("hybrid (model test-embed)")).to_be_visible(timeout=30_000)
    page.screenshot(path="/tmp/memui_settings.png", full_page=True)

    page.goto(f"/agents/{agent_id}?tab=knowledge")
    knowledge = page.get_by_role("region", name="Knowledge", exact=True)
    expect(knowledge.get_by_text("hybrid (model test-embed)")).to_be_visible()

    # Re-embedding progress, as the section polls it (a claimed job the worker leaves alone).
    with session_scope() as s:
        row = s.get(EmbeddingSettings, actor.workspace_id)
        assert row is not None and row.active_key
        row.status, row.done, row.total, row.claimed_at = "reembedding", 3, 10, utcnow()
        s.add(row)
    page.goto("/settings")
    bar = section.get_by_role("progressbar", name="Re-embedding progress")
    expect(bar).to_have_attribute("aria-valuenow", "30")
    expect(section.get_by_text("Re-embedding: 3 of 10 passages and memories")).to_be_visible()
    with session_scope() as s:
        row = s.get(EmbeddingSettings, actor.workspace_id)
        assert row is not None
        row.status, row.done, row.claimed_at = "ready", 10, None
        s.add(row)
    expect(section.get_by_text("Re-embedding finished: hybrid search is on.")).to_be_visible()
    expect(bar).to_have_count(0)

    section.get_by_role("button", name="Use keyword mode").click()
    expect(section.get_by_text("Keyword mode: knowledge and memories are searched by words only.")).to_be_visible()
    expect(section.get_by_text("keyword mode", exact=True)).to_be_visible()
