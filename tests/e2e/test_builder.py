"""The agent builder in the browser: templates, saving versions, restore, validation, delete."""

from __future__ import annotations

import asyncio
import re
from concurrent.futures import ThreadPoolExecutor

import pytest
from playwright.sync_api import expect
from sqlmodel import select

from backend.accounts.actor import Actor
from backend.agents.service import create_agent, get_blueprint, list_agents
from backend.connections.service import create_connection
from backend.db import session_scope
from backend.gateway.probe import check_connection
from backend.models import BlueprintFields, Membership, User
from tests.support.e2e import new_account

pytestmark = pytest.mark.e2e

AGENT_URL = re.compile(r"/agents/[0-9a-f]{32}/?$")


def _actor(email: str) -> Actor:
    with session_scope() as s:
        user = s.exec(select(User).where(User.email == email)).one()
        member = s.exec(select(Membership).where(Membership.user_id == user.id)).one()
        return Actor(user_id=user.id, workspace_id=member.workspace_id)


def _connect(actor: Actor, llm_server, name: str = "Test LLM") -> str:  # type: ignore[no-untyped-def]
    """Add a tested connection to the local LLM server (so it reports its models)."""

    def work() -> str:
        with session_scope() as s:
            conn = create_connection(
                actor=actor,
                name=name,
                provider="openai_compatible",
                api_key=llm_server.api_key,
                base_url=llm_server.base_url,
                session=s,
            )
        with session_scope() as s:
            checked = asyncio.run(check_connection(actor=actor, connection_id=conn.id, session=s))
        assert checked.status == "ok", checked.status_message
        return conn.id

    with ThreadPoolExecutor(1) as pool:  # keep asyncio.run away from Playwright's event loop
        return pool.submit(work).result()


def _agent(actor: Actor, conn_id: str, **kw: object) -> str:
    data: dict[str, object] = {"name": "Helper", "connection_id": conn_id, "model": "test-model"}
    data.update(kw)
    with session_scope() as s:
        return create_agent(actor=actor, fields=BlueprintFields.model_validate(data), session=s)


def test_template_prefills_the_form_and_save_creates_v1(page, llm_server) -> None:  # type: ignore[no-untyped-def]
    actor = _actor(new_account(page))
    _connect(actor, llm_server)
    page.goto("/agents")
    expect(page.get_by_role("heading", name="No agents yet")).to_be_visible()
    use = page.get_by_role("link", name=re.compile(r"^Use template"))
    expect(use.first).to_be_visible()
    assert use.count() >= 6
    page.screenshot(path="/tmp/builder_list_empty.png", full_page=True)

    sql = page.get_by_role("article", name="SQL helper template")
    sql.get_by_text("Sample answer").click()  # how an agent made from it answers
    expect(sql).to_contain_text("makes this fast")
    page.get_by_role("link", name="Use template: SQL helper").click()
    expect(page.get_by_role("heading", name="Build your agent in three steps")).to_be_visible()
    expect(page).to_have_url(re.compile(r"/agents/new/?\?template=sql-helper"))
    expect(page.get_by_label("Name")).to_have_value("SQL helper")
    expect(page.get_by_label("Instructions")).to_have_value(re.compile("You write correct, readable SQL"))
    expect(page.get_by_label("Temperature")).to_have_value("0.1")
    page.get_by_label("Connection").click()
    page.get_by_role("option", name=re.compile("Test LLM")).click()
    page.get_by_role("button", name="gpt-4o-mini", exact=True).click()
    expect(page.get_by_label("Model")).to_have_value("gpt-4o-mini")
    page.screenshot(path="/tmp/builder_new.png", full_page=True)
    page.get_by_role("button", name="Save").click()

    expect(page).to_have_url(AGENT_URL)
    expect(page.get_by_text("Saved as v1")).to_be_visible()
    expect(page.locator("#draft-status")).to_have_text("v1 (saved)")
    page.get_by_role("tab", name="Versions").click()
    expect(page.get_by_role("listitem").filter(has_text="v1")).to_have_count(1)
    agent_id = page.url.rstrip("/").rsplit("/", 1)[-1]
    with session_scope() as s:
        saved = get_blueprint(actor=actor, agent_id=agent_id, session=s)
        assert (saved.version, saved.name, saved.model, saved.temperature) == (1, "SQL helper", "gpt-4o-mini", 0.1)
        assert saved.starters == ["Top 10 customers by revenue last month", "Explain this query:"]
    expect(page.get_by_role("link", name="Open chat")).to_have_attribute("href", re.compile(f"agent={agent_id}"))

    page.get_by_role("link", name="Back to agents").click()
    card = page.get_by_role("article", name="SQL helper", exact=True)
    expect(card).to_contain_text("gpt-4o-mini")
    expect(card).to_contain_text("v1")
    expect(card.get_by_role("link", name=re.compile("^Chat"))).to_have_attribute("href", f"/chat?agent={agent_id}")
    page.screenshot(path="/tmp/builder_list.png", full_page=True)
    card.get_by_role("link", name=re.compile("^Open in builder")).click()
    expect(page).to_have_url(AGENT_URL)
    expect(page.get_by_label("Name")).to_have_value("SQL helper")


def test_each_save_is_a_new_version_and_restore_copies_an_old_one(page, llm_server) -> None:  # type: ignore[no-untyped-def]
    actor = _actor(new_account(page))
    agent_id = _agent(actor, _connect(actor, llm_server), instructions="Answer in French.")
    page.goto(f"/agents/{agent_id}")
    instructions = page.get_by_role("textbox", name="Instructions")
    expect(instructions).to_have_value("Answer in French.")
    instructions.fill("Answer in German.")
    page.get_by_label("Version note (optional)").fill("Switch to German")
    page.get_by_role("button", name="Save version").click()
    expect(page.get_by_text("Saved as v2")).to_be_visible()
    page.get_by_role("tab", name="Versions").click()
    history = page.get_by_role("list").filter(has_text="v1")
    expect(history.get_by_role("listitem")).to_have_count(2)
    expect(history.get_by_role("listitem").first).to_contain_text("v2")
    expect(history.get_by_role("listitem").first).to_contain_text("Switch to German")
    expect(page.get_by_role("button", name="Restore version 2")).to_have_count(0)  # the current one

    page.get_by_role("button", name="Restore version 1").click()
    expect(page.get_by_text("Restored v1 as v3")).to_be_visible()
    expect(history.get_by_role("listitem")).to_have_count(3)
    expect(history.get_by_role("listitem").first).to_contain_text("Restored from v1")
    page.screenshot(path="/tmp/builder_versions.png", full_page=True)
    page.get_by_role("tab", name="Instructions").click()
    expect(instructions).to_have_value("Answer in French.")
    with session_scope() as s:
        current = get_blueprint(actor=actor, agent_id=agent_id, session=s)
        assert (current.version, current.instructions) == (3, "Answer in French.")


def test_validation_errors_are_inline_and_nothing_is_saved(page, llm_server) -> None:  # type: ignore[no-untyped-def]
    actor = _actor(new_account(page))
    _connect(actor, llm_server)
    page.goto("/agents/new")
    expect(page.get_by_label("Model")).to_have_value("gpt-4o-mini")  # first reported model preselected
    page.get_by_label("Name").fill("")
    page.get_by_label("Temperature").fill("3")
    page.get_by_label("Max output tokens").fill("")
    page.get_by_label("Model").fill("")
    page.get_by_role("button", name="Save").click()
    expect(page.get_by_text("Give the agent a name.")).to_be_visible()
    expect(page.get_by_text("Temperature must be between 0 and 2.")).to_be_visible()
    expect(page.get_by_text("Max output tokens must be a whole number.")).to_be_visible()
    expect(page.get_by_text("Choose or type a model.")).to_be_visible()
    page.screenshot(path="/tmp/builder_errors.png", full_page=True)
    expect(page).to_have_url(re.compile(r"/agents/new/?$"))
    expect(page.get_by_label("Temperature")).to_have_value("3")  # what was typed stays

    page.get_by_label("Name").fill("Fixed")
    page.get_by_label("Temperature").fill("1.5")
    page.get_by_label("Max output tokens").fill("99999")
    page.get_by_label("Model").fill("my-custom-model")
    page.get_by_role("button", name="Save").click()
    expect(page.get_by_text("Max output tokens must be between 1 and 32768.")).to_be_visible()
    expect(page.get_by_text("Give the agent a name.")).to_have_count(0)
    with session_scope() as s:
        assert list_agents(actor=actor, session=s) == []


def test_delete_asks_for_confirmation_then_removes_the_agent(page, llm_server) -> None:  # type: ignore[no-untyped-def]
    actor = _actor(new_account(page))
    conn = _connect(actor, llm_server)
    _agent(actor, conn, name="Keeper")
    _agent(actor, conn, name="Goner", description="Will be deleted")
    page.goto("/agents")
    expect(page.get_by_role("article", name="Goner")).to_be_visible()
    page.get_by_role("button", name="Delete Goner").click()
    dialog = page.get_by_role("alertdialog")
    expect(dialog).to_contain_text("Delete Goner?")
    page.screenshot(path="/tmp/builder_delete.png")
    dialog.get_by_role("button", name="Cancel").click()
    expect(page.get_by_role("article", name="Goner")).to_be_visible()

    page.get_by_role("button", name="Delete Goner").click()
    page.get_by_role("alertdialog").get_by_role("button", name="Delete").click()
    expect(page.get_by_role("article", name="Goner")).to_have_count(0)
    expect(page.get_by_role("article", name="Keeper")).to_be_visible()
    with session_scope() as s:
        assert [a.name for a in list_agents(actor=actor, session=s)] == ["Keeper"]


def test_no_connection_callout_and_unknown_agent(page) -> None:  # type: ignore[no-untyped-def]
    new_account(page)
    page.goto("/agents")
    callout = page.get_by_text("Add a connection first so your agent has a model.")
    expect(callout).to_be_visible()
    expect(page.get_by_role("link", name="Add a connection")).to_have_attribute("href", "/connections")
    page.screenshot(path="/tmp/builder_no_conn.png")
    page.goto("/agents/0123456789abcdef0123456789abcdef")
    expect(page.get_by_text("Agent not found")).to_be_visible()
    page.screenshot(path="/tmp/builder_not_found.png")
    page.get_by_role("link", name="Back to agents").first.click()
    expect(page).to_have_url(re.compile(r"/agents/?$"))
