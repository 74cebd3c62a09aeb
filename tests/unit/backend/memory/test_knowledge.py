"""Knowledge sources end to end: upload every file type, bad files, progress, removal, isolation."""

from __future__ import annotations

from collections.abc import Callable

import pytest
from sqlmodel import select

from backend.accounts.actor import Actor, NotFound
from backend.config import get_settings
from backend.db import session_scope
from backend.memory.knowledge import (
    KnowledgeInputError,
    UploadedFile,
    add_files,
    add_text,
    knowledge_progress,
    list_sources,
    remove_source,
)
from backend.memory.retrieval import knowledge_search_for
from backend.memory.store import Scope, get_store
from backend.memory.worker import run_pending
from backend.models import KnowledgeUpload
from tests.support.documents import fixture_bytes

GOOD = [
    "handbook.pdf",
    "policy.docx",
    "page.html",
    "prices.csv",
    "notes.md",
    "readme.txt",
    "ukrainian.txt",
    "german.txt",
    "japanese.txt",
]


def _upload(actor: Actor, agent_id: str, files: list[tuple[str, bytes]]) -> list[str]:
    with session_scope() as s:
        rows = add_files(actor=actor, agent_id=agent_id, files=[UploadedFile(n, d) for n, d in files], session=s)
    return [r.id for r in rows]


def _statuses(actor: Actor, agent_id: str) -> dict[str, tuple[str, str]]:
    with session_scope() as s:
        return {r.name: (r.status, r.error) for r in list_sources(actor=actor, agent_id=agent_id, session=s)}


async def _ask(actor: Actor, agent_id: str, query: str) -> list[str]:
    return [p.text for p in await knowledge_search_for(actor=actor, agent_id=agent_id, query=query, k=5)]


async def test_every_file_type_indexes_and_answers(actor: Actor, make_agent: Callable[..., str]) -> None:
    agent = make_agent(actor)
    _upload(actor, agent, [(name, fixture_bytes(name)) for name in GOOD])
    with session_scope() as s:
        before = knowledge_progress(actor=actor, agent_id=agent, session=s)
    assert before.busy and before.progress == 0.0 and before.mode == "keyword"
    assert await run_pending() == len(GOOD)
    statuses = _statuses(actor, agent)
    assert {name: st for name, (st, _e) in statuses.items()} == dict.fromkeys(GOOD, "indexed")
    with session_scope() as s:
        after = knowledge_progress(actor=actor, agent_id=agent, session=s)
        assert s.exec(select(KnowledgeUpload)).all() == [] or all(
            u.source_id not in {x.id for x in after.sources} for u in s.exec(select(KnowledgeUpload)).all()
        )
    assert not after.busy and after.progress == 1.0 and all(x.chunk_count >= 1 for x in after.sources)
    expectations = {
        "door code Lisbon branch": "4417",
        "return unworn shoes refund": "45 days",
        "when are espresso beans roasted": "Tallinn",
        "price of the Summit parka": "249.50",
        "sync engine retries uploads": "exponential backoff",
        "irrigation pump soil moisture": "28 percent",
        "столицею України": "Подолі",
        "Wann schließt die Bibliothek": "zwanzig Uhr",
        "社員食堂": "午前十一時",
    }
    for query, fact in expectations.items():
        assert any(fact in text for text in await _ask(actor, agent, query)), query


async def test_pdf_passages_carry_page_locations(actor: Actor, make_agent: Callable[..., str]) -> None:
    agent = make_agent(actor)
    _upload(actor, agent, [("handbook.pdf", fixture_bytes("handbook.pdf"))])
    await run_pending()
    (best, *_rest) = await knowledge_search_for(actor=actor, agent_id=agent, query="Lisbon door code", k=3)
    assert best.location == "p. 2" and best.title == "handbook.pdf"


async def test_bad_files_fail_with_reasons_while_others_index(
    actor: Actor, make_agent: Callable[..., str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("AGENTHUB_MAX_UPLOAD_MB", "0.01")  # 10 kB for this test
    get_settings.cache_clear()
    try:
        agent = make_agent(actor)
        _upload(
            actor,
            agent,
            [
                ("encrypted.pdf", fixture_bytes("encrypted.pdf")),
                ("corrupt.pdf", fixture_bytes("corrupt.pdf")),
                ("virus.exe", b"MZ\x90\x00"),
                ("big.txt", b"word " * 5000),
                ("empty.md", b""),
                ("readme.txt", fixture_bytes("readme.txt")),
            ],
        )
        await run_pending()
    finally:
        monkeypatch.delenv("AGENTHUB_MAX_UPLOAD_MB")
        get_settings.cache_clear()
    statuses = _statuses(actor, agent)
    assert statuses["readme.txt"] == ("indexed", "")
    assert statuses["encrypted.pdf"] == (
        "failed",
        "The PDF is password-protected: remove the password and upload it again.",
    )
    assert statuses["corrupt.pdf"][0] == "failed" and "damaged or not a PDF" in statuses["corrupt.pdf"][1]
    assert statuses["virus.exe"] == (
        "failed",
        "Unsupported file type .exe: upload .txt, .md, .pdf, .html, .csv or .docx.",
    )
    assert statuses["big.txt"] == ("failed", "The file is 25 kB; the limit is 10 kB.")
    assert statuses["empty.md"] == ("failed", "The file is empty.")
    assert await _ask(actor, agent, "irrigation pump")


async def test_removing_a_source_removes_its_chunks(actor: Actor, make_agent: Callable[..., str]) -> None:
    agent = make_agent(actor)
    keep, drop = _upload(
        actor, agent, [("readme.txt", fixture_bytes("readme.txt")), ("notes.md", fixture_bytes("notes.md"))]
    )
    await run_pending()
    assert await _ask(actor, agent, "exponential backoff")
    with session_scope() as s:
        remove_source(actor=actor, agent_id=agent, source_id=drop, session=s)
    assert await _ask(actor, agent, "exponential backoff") == []
    assert get_store().count("knowledge", Scope.knowledge(actor.workspace_id, agent)) >= 1
    with session_scope() as s, pytest.raises(NotFound):
        remove_source(actor=actor, agent_id=agent, source_id=drop, session=s)
    assert [x for x in _statuses(actor, agent)] == ["readme.txt"] and keep


async def test_pasted_text_is_a_source(actor: Actor, make_agent: Callable[..., str]) -> None:
    agent = make_agent(actor)
    with session_scope() as s:
        row = add_text(
            actor=actor,
            agent_id=agent,
            title="",
            text="The wifi password is mango-42.\n\nGuests use the other one.",
            session=s,
        )
        with pytest.raises(KnowledgeInputError):
            add_text(actor=actor, agent_id=agent, title="x", text="   ", session=s)
    assert row.name == "The wifi password is mango-42." and row.status == "queued"
    await run_pending()
    assert any("mango-42" in t for t in await _ask(actor, agent, "wifi password"))


async def test_workspace_a_never_retrieves_workspace_b(
    make_actor: Callable[[], Actor], make_agent: Callable[..., str]
) -> None:
    alice, bob = make_actor(), make_actor()
    alice_agent, bob_agent = make_agent(alice), make_agent(bob)
    _upload(alice, alice_agent, [("handbook.pdf", fixture_bytes("handbook.pdf"))])
    await run_pending()
    assert any("4417" in t for t in await _ask(alice, alice_agent, "Lisbon door code"))
    assert await _ask(bob, bob_agent, "Lisbon door code") == []
    # Bob cannot name Alice's agent either: the agent check and the store filter both stop him.
    with pytest.raises(NotFound):
        await _ask(bob, alice_agent, "Lisbon door code")
    forged = Scope.knowledge(bob.workspace_id, alice_agent)
    assert get_store().search_text("knowledge", forged, "Lisbon door code", 5) == []
    with session_scope() as s, pytest.raises(NotFound):
        list_sources(actor=bob, agent_id=alice_agent, session=s)


async def test_url_sources_are_fetched_through_the_guard(
    actor: Actor, make_agent: Callable[..., str], monkeypatch: pytest.MonkeyPatch
) -> None:
    from backend.memory.knowledge import add_url
    from tests.support.http_pages import PageServer

    routes = {
        "/faq.html": (200, "text/html", fixture_bytes("page.html")),
        "/handbook": (200, "application/pdf", fixture_bytes("handbook.pdf")),
        "/to-metadata": (302, "http://169.254.169.254/latest/meta-data/", b""),
        "/missing": (404, "text/plain", b"nope"),
    }
    agent = make_agent(actor)
    with PageServer(routes) as server:
        monkeypatch.setenv("AGENTHUB_FETCH_ALLOW", f"127.0.0.1:{server.port}")
        get_settings.cache_clear()
        try:
            with session_scope() as s:
                for path in routes:
                    add_url(actor=actor, agent_id=agent, url=server.url(path), session=s)
                add_url(actor=actor, agent_id=agent, url="http://localhost:1/admin", session=s)
                with pytest.raises(KnowledgeInputError):
                    add_url(actor=actor, agent_id=agent, url="file:///etc/passwd", session=s)
            await run_pending()
        finally:
            monkeypatch.delenv("AGENTHUB_FETCH_ALLOW")
            get_settings.cache_clear()
    statuses = _statuses(actor, agent)
    assert statuses["Orbital Coffee FAQ"] == ("indexed", "")
    assert statuses["Northwind Handbook"] == ("indexed", "")
    assert (
        statuses["127.0.0.1/to-metadata"][0] == "failed" and "169.254.169.254" in statuses["127.0.0.1/to-metadata"][1]
    )
    assert statuses["127.0.0.1/missing"] == ("failed", "The page answered 404; check the address.")
    assert statuses["localhost/admin"][0] == "failed" and "not allowed" in statuses["localhost/admin"][1]
    assert any("Tallinn" in t for t in await _ask(actor, agent, "espresso roasted"))


def test_the_worker_is_woken_only_after_the_queued_source_is_committed(
    actor: Actor, make_agent: Callable[..., str], monkeypatch: pytest.MonkeyPatch
) -> None:
    from backend.memory import wakeup

    agent = make_agent(actor)
    woken: list[int] = []
    monkeypatch.setattr(wakeup, "notify", lambda: woken.append(1))
    with session_scope() as s:
        add_files(actor=actor, agent_id=agent, files=[UploadedFile("readme.txt", b"Some text.")], session=s)
        add_text(actor=actor, agent_id=agent, title="Note", text="More text.", session=s)
        assert woken == []  # a worker woken now could not see the uncommitted rows
    assert woken
    after_commit = len(woken)
    with pytest.raises(RuntimeError), session_scope() as s:
        add_text(actor=actor, agent_id=agent, title="Rolled back", text="Never queued.", session=s)
        raise RuntimeError
    assert len(woken) == after_commit  # nothing was queued
