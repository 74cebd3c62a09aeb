"""Per-workspace storage quota for knowledge (issue 9): uploads, pasted text and URLs that would
exceed ``AGENTHUB_STORAGE_QUOTA_MB`` are refused with the quota and the usage named."""

from __future__ import annotations

from collections.abc import Callable, Iterator

import pytest

from backend.accounts.actor import Actor
from backend.config import get_settings
from backend.db import session_scope
from backend.memory.knowledge import (
    KnowledgeInputError,
    UploadedFile,
    add_files,
    add_text,
    add_url,
    knowledge_progress,
    list_sources,
)


@pytest.fixture
def quota_50kb(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    monkeypatch.setenv("AGENTHUB_STORAGE_QUOTA_MB", "0.05")
    get_settings.cache_clear()
    yield
    monkeypatch.delenv("AGENTHUB_STORAGE_QUOTA_MB")
    get_settings.cache_clear()


def test_an_upload_over_the_workspace_quota_is_refused_with_quota_and_usage(
    actor: Actor, make_agent: Callable[..., str], quota_50kb: None
) -> None:
    first, second = make_agent(actor), make_agent(actor)  # the quota spans the workspace's agents
    with session_scope() as s:
        add_files(actor=actor, agent_id=first, files=[UploadedFile("a.txt", b"a" * 30_000)], session=s)
        rows = add_files(
            actor=actor,
            agent_id=second,
            files=[UploadedFile("b.txt", b"b" * 15_000), UploadedFile("c.txt", b"c" * 10_000)],
            session=s,
        )
    assert rows[0].status == "queued"
    assert rows[1].status == "failed"
    assert rows[1].error == (
        "Storage quota reached: this workspace uses 45 kB of its 50 kB; this file (10 kB) would exceed it. "
        "Remove some knowledge sources first."
    )
    with session_scope() as s:
        progress = knowledge_progress(actor=actor, agent_id=second, session=s)
    assert (progress.storage_used_bytes, progress.storage_quota_bytes) == (45_000, 50_000)


def test_pasted_text_and_urls_over_the_quota_are_refused(
    actor: Actor, make_agent: Callable[..., str], quota_50kb: None
) -> None:
    agent = make_agent(actor)
    with session_scope() as s:
        add_files(actor=actor, agent_id=agent, files=[UploadedFile("a.txt", b"a" * 49_000)], session=s)
    with pytest.raises(KnowledgeInputError, match="Storage quota reached: this workspace uses 49 kB of its 50 kB"):
        with session_scope() as s:
            add_text(actor=actor, agent_id=agent, title="Note", text="x" * 2_000, session=s)
    with session_scope() as s:
        add_files(actor=actor, agent_id=agent, files=[UploadedFile("b.txt", b"b" * 1_000)], session=s)
    with pytest.raises(KnowledgeInputError, match="Storage quota reached: this workspace uses 50 kB of its 50 kB"):
        with session_scope() as s:
            add_url(actor=actor, agent_id=agent, url="https://example.com/page", session=s)
    with session_scope() as s:
        assert sorted(r.name for r in list_sources(actor=actor, agent_id=agent, session=s)) == ["a.txt", "b.txt"]


def test_the_default_quota_is_500_mb_and_usage_is_reported(actor: Actor, make_agent: Callable[..., str]) -> None:
    agent = make_agent(actor)
    with session_scope() as s:
        add_files(actor=actor, agent_id=agent, files=[UploadedFile("a.txt", b"a" * 12_300)], session=s)
        progress = knowledge_progress(actor=actor, agent_id=agent, session=s)
    assert (progress.storage_used_bytes, progress.storage_quota_bytes) == (12_300, 500_000_000)


async def test_a_fetched_page_over_the_quota_fails_with_quota_and_usage(
    actor: Actor, make_agent: Callable[..., str], quota_50kb: None, monkeypatch: pytest.MonkeyPatch
) -> None:
    from backend.memory.worker import run_pending
    from tests.support.http_pages import PageServer

    agent = make_agent(actor)
    with session_scope() as s:
        add_files(actor=actor, agent_id=agent, files=[UploadedFile("a.txt", b"a" * 40_000)], session=s)
    page = b"<html><body><p>" + b"word " * 4_000 + b"</p></body></html>"
    with PageServer({"/big.html": (200, "text/html", page)}) as server:
        monkeypatch.setenv("AGENTHUB_FETCH_ALLOW", f"127.0.0.1:{server.port}")
        get_settings.cache_clear()
        with session_scope() as s:
            add_url(actor=actor, agent_id=agent, url=server.url("/big.html"), session=s)
        await run_pending()
    with session_scope() as s:
        rows = {r.name: r for r in list_sources(actor=actor, agent_id=agent, session=s)}
    assert rows["a.txt"].status == "indexed"
    assert (rows["127.0.0.1/big.html"].status, rows["127.0.0.1/big.html"].error) == (
        "failed",
        "Storage quota reached: this workspace uses 40 kB of its 50 kB; this page (20 kB) would exceed it. "
        "Remove some knowledge sources first.",
    )
