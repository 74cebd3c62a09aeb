"""Uploaded files are parsed in a worker process with budgets (issue 9, finding 4): a DOCX zip
bomb and a file of too many passages are refused with a clear reason, quickly, without the app
process growing, while the other files of the same upload are indexed."""

from __future__ import annotations

import random
import resource
import time
from collections.abc import Callable

from backend.accounts.actor import Actor
from backend.db import session_scope
from backend.memory.knowledge import UploadedFile, add_files, list_sources
from backend.memory.parse_worker import ParseLimits, parse_and_chunk
from backend.memory.parsing import ParseError
from backend.memory.worker import run_pending
from tests.support import bombs
from tests.support.documents import fixture_bytes


def _upload(actor: Actor, agent_id: str, files: list[tuple[str, bytes]]) -> None:
    with session_scope() as s:
        add_files(actor=actor, agent_id=agent_id, files=[UploadedFile(n, d) for n, d in files], session=s)


def _statuses(actor: Actor, agent_id: str) -> dict[str, tuple[str, str]]:
    with session_scope() as s:
        return {r.name: (r.status, r.error) for r in list_sources(actor=actor, agent_id=agent_id, session=s)}


def _peak_rss_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024  # Linux: kB


async def test_a_docx_zip_bomb_is_refused_quickly_outside_the_app_process(
    actor: Actor, make_agent: Callable[..., str]
) -> None:
    bomb = bombs.docx_zip_bomb()
    assert len(bomb) < 800_000  # 0.76 MB on disk, 250 MB of XML inside
    agent = make_agent(actor)
    _upload(actor, agent, [("bomb.docx", bomb), ("policy.docx", fixture_bytes("policy.docx"))])
    peak_before, started = _peak_rss_mb(), time.monotonic()
    await run_pending()
    elapsed, growth = time.monotonic() - started, _peak_rss_mb() - peak_before
    statuses = _statuses(actor, agent)
    assert statuses["policy.docx"] == ("indexed", "")
    status, error = statuses["bomb.docx"]
    assert status == "failed"
    assert "zip bomb" in error and "250.0 MB" in error
    assert elapsed < 15, f"refusing the bomb took {elapsed:.1f} s"
    assert growth < 100, f"the app process grew by {growth:.0f} MB"


async def test_a_small_docx_of_twenty_thousand_passages_is_refused(
    actor: Actor, make_agent: Callable[..., str]
) -> None:
    agent = make_agent(actor)
    _upload(actor, agent, [("many.docx", bombs.docx_many_passages())])
    await run_pending()
    status, error = _statuses(actor, agent)["many.docx"]
    assert status == "failed" and "zip bomb" in error


async def test_a_file_of_too_many_passages_is_refused_with_the_limit(
    actor: Actor, make_agent: Callable[..., str]
) -> None:
    rng = random.Random(4)
    words = [f"w{i}" for i in range(5000)]
    text = "\n\n".join(" ".join(rng.choices(words, k=200)) + "." for _ in range(12_500)).encode()
    assert len(text) < 20_000_000
    agent = make_agent(actor)
    _upload(actor, agent, [("huge.md", text), ("readme.txt", fixture_bytes("readme.txt"))])
    await run_pending()
    statuses = _statuses(actor, agent)
    assert statuses["readme.txt"] == ("indexed", "")
    assert statuses["huge.md"] == (
        "failed",
        "This file yields more than 10,000 passages (the limit per file); split it into smaller files.",
    )


async def test_a_parse_over_its_time_budget_is_stopped_with_a_reason() -> None:
    html = ("<div>" + "<p>deep <b>text</b></p>" * 200_000 + "</div>").encode()
    try:
        await parse_and_chunk(html, "html", limits=ParseLimits(timeout_s=0.2))
    except ParseError as exc:
        assert str(exc) == (
            "Reading this file took longer than 0.2 s, so it was stopped; it may be damaged or far too complex."
        )
    else:
        raise AssertionError("the slow parse was not stopped")


async def test_a_parse_over_its_memory_budget_is_stopped_with_a_reason() -> None:
    html = ("<div>" + "<p>deep <b>text</b></p>" * 200_000 + "</div>").encode()
    try:
        await parse_and_chunk(html, "html", limits=ParseLimits(memory_mb=40))
    except ParseError as exc:
        assert "needed more than 40 MB of memory" in str(exc)
    else:
        raise AssertionError("the greedy parse was not stopped")


async def test_a_pdf_over_the_page_limit_is_refused() -> None:
    try:
        await parse_and_chunk(fixture_bytes("handbook.pdf"), "pdf", limits=ParseLimits(max_pages=1))
    except ParseError as exc:
        assert str(exc) == "The PDF has 2 pages; the limit is 1."
    else:
        raise AssertionError("the PDF over the page limit was read")


async def test_good_files_come_back_as_chunks_with_their_title() -> None:
    parsed = await parse_and_chunk(fixture_bytes("handbook.pdf"), "pdf")
    assert parsed.title == "Northwind Handbook"
    assert [c.location for c in parsed.chunks][:2] == ["p. 1", "p. 2"]
