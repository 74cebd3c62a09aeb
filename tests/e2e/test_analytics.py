"""The analytics page after runs of two agents through the local LLM test server: the totals and
the by-agent table show them, the CSV download holds the table's cells, and the agent filter
(``?agent=<id>``) shows one agent's runs with links to their conversations."""

from __future__ import annotations

import asyncio
import csv
import io
import re
from concurrent.futures import ThreadPoolExecutor

import pytest
from playwright.sync_api import expect

from tests.support import agents as support
from tests.support.e2e import actor_for, new_account

pytestmark = pytest.mark.e2e


def _runs(actor, agent_id: str, count: int) -> None:  # type: ignore[no-untyped-def]
    async def go() -> None:
        for i in range(count):
            events = await support.run(actor, support.conversation(actor, agent_id), f"Question {i}")
            assert type(events[-1]).__name__ == "RunDone", events[-1]

    with ThreadPoolExecutor(1) as pool:  # a loop of its own, away from Playwright's
        pool.submit(asyncio.run, go()).result()


def _cells(page, key: str) -> list[list[str]]:  # type: ignore[no-untyped-def]
    rows = page.locator(f"#table-{key} tbody tr")
    return [[c.strip() for c in row.locator("td").all_inner_texts()] for row in rows.all()]


def test_totals_table_csv_and_agent_filter(page, llm_server) -> None:  # type: ignore[no-untyped-def]
    llm_server.reply = "Fine."
    actor = actor_for(new_account(page))
    conn = support.connection(actor, llm_server)
    writer = support.agent(actor, conn, name="Writer")
    coder = support.agent(actor, conn, name="Coder")
    _runs(actor, writer, 4)
    _runs(actor, coder, 2)

    page.goto("/analytics")
    expect(page.locator("#total-runs")).to_contain_text(re.compile(r"Runs\s*6\b"), timeout=20_000)
    expect(page.locator("#total-success_rate")).to_contain_text("100.0%")
    table = page.locator("#table-by_agent")
    expect(table).to_contain_text("Writer")
    shown = _cells(page, "by_agent")
    assert [(r[0], r[2]) for r in shown] == [("Writer", "4"), ("Coder", "2")]  # most calls first (no cost)
    with page.expect_download() as download:
        page.get_by_role("button", name="Download CSV of By agent").click()
    lines = list(csv.reader(io.StringIO(download.value.path().read_text())))
    assert lines[0][:3] == ["agent", "agent_id", "runs"]
    assert lines[1:] == shown

    page.goto(f"/analytics?agent={writer}")
    expect(page.locator("#total-runs")).to_contain_text(re.compile(r"Runs\s*4\b"), timeout=20_000)
    links = page.locator("#table-slowest_runs").get_by_role("link", name="Open conversation")
    expect(links).to_have_count(4)
    assert re.fullmatch(r"/chat\?c=[0-9a-f]{32}", links.first.get_attribute("href") or "")


def test_a_publisher_sees_a_listings_figures_from_the_publisher_page(page, make_actor) -> None:  # type: ignore[no-untyped-def]
    from backend.db import session_scope
    from marketplace.subscriptions import subscribe
    from tests.support.marketplace import listing, publisher_connection

    actor = actor_for(new_account(page))
    row = listing(actor, publisher_connection(actor), title="Recipe scout")
    for _ in range(2):
        with session_scope() as s:
            subscribe(actor=make_actor(), listing_id=row.id, session=s)

    page.goto("/publisher")
    page.get_by_role("link", name="Analytics of Recipe scout").click()
    expect(page).to_have_url(re.compile(rf"/analytics\?listing={row.id}"))
    totals = page.locator("#table-publisher_totals")
    expect(totals).to_contain_text("Subscribers at the end", timeout=20_000)
    shown = dict((r[0], r[1]) for r in _cells(page, "publisher_totals"))
    assert shown["Subscribers at the end"] == "2" and shown["New subscribers"] == "2"
    expect(page.locator("#publisher-charts")).to_contain_text("Subscribers")
    with page.expect_download() as download:
        page.get_by_role("button", name="Download CSV of Totals of the period").click()
    lines = list(csv.reader(io.StringIO(download.value.path().read_text())))
    assert lines[0] == ["figure", "value"] and dict(lines[1:])["Subscribers at the end"] == "2"
