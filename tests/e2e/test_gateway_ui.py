"""The LLM gateway in the browser: budgets, rate limits, fallbacks, the model catalog, usage.

Connections and agents are set up through the backend services (the app shares this test
session's database); limits are set and chats are driven through the pages, against local
OpenAI-compatible test servers the app reaches over real HTTP.
"""

from __future__ import annotations

import asyncio
import re
from concurrent.futures import ThreadPoolExecutor

import pytest
from playwright.sync_api import expect
from sqlmodel import select

from backend.accounts.actor import Actor
from backend.agents.service import create_agent, get_blueprint
from backend.connections.service import create_connection, delete_connection
from backend.db import session_scope
from backend.gateway import admin
from backend.gateway.probe import check_connection
from backend.models import BlueprintFields, Membership, Run, User
from tests.support.e2e import new_account
from tests.support.llm_server import LLMTestServer

pytestmark = pytest.mark.e2e

WORDS = " ".join(f"w{i}" for i in range(2000))  # 2,000 completion tokens: $0.0012 at gpt-4o-mini's $0.60/1M


# ----------------------------------------------------------------------------- helpers
def _actor(email: str) -> Actor:
    with session_scope() as s:
        user = s.exec(select(User).where(User.email == email)).one()
        member = s.exec(select(Membership).where(Membership.user_id == user.id)).one()
        return Actor(user_id=user.id, workspace_id=member.workspace_id)


def _connect(actor: Actor, server: LLMTestServer, name: str = "Test LLM") -> str:
    """A tested "OpenAI-compatible endpoint" connection to ``server`` (it reports its models)."""

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

    with ThreadPoolExecutor(1) as pool:  # keep asyncio.run away from Playwright's event loop
        return pool.submit(work).result()


def _agent(actor: Actor, conn_id: str, name: str = "Helper", **kw: object) -> str:
    data: dict[str, object] = {"name": name, "connection_id": conn_id, "model": "gpt-4o-mini"}
    data.update(kw)
    with session_scope() as s:
        return create_agent(actor=actor, fields=BlueprintFields.model_validate(data), session=s)


def _send(page, text: str) -> None:  # type: ignore[no-untyped-def]
    """Send a chat message and wait until the reply (or its failure) is shown."""
    box = page.get_by_role("textbox", name="Message")
    box.fill(text)
    page.get_by_role("button", name="Send").click()
    expect(page.get_by_role("button", name="Send")).to_be_enabled(timeout=30_000)
    expect(box).to_be_enabled()


# ----------------------------------------------------------------------------- settings page
def test_settings_budget_and_rate_limit_add_and_delete(page, llm_server) -> None:  # type: ignore[no-untyped-def]
    email = new_account(page)
    actor = _actor(email)
    _agent(actor, _connect(actor, llm_server), name="Support bot")
    page.get_by_role("link", name="Settings").click()
    expect(page).to_have_url(re.compile(r"/settings/?$"))
    expect(page.get_by_role("heading", name="Limits & budgets")).to_be_visible()
    expect(page.get_by_text("No budgets yet")).to_be_visible()
    expect(page.get_by_text("No model calls in this period yet")).to_be_visible()

    # A monthly workspace budget.
    form = page.get_by_role("form", name="Set a budget")
    expect(form.get_by_label("Budget applies to")).to_contain_text("Whole workspace")
    form.get_by_label("Budget period").click()
    page.get_by_role("option", name="Per month (UTC)").click()
    form.get_by_label("Spend limit (USD)").fill("abc")
    form.get_by_role("button", name="Set budget").click()
    expect(form.get_by_text("Enter an amount in USD, e.g. 0.50.")).to_be_visible()
    form.get_by_label("Spend limit (USD)").fill("25")
    form.get_by_role("button", name="Set budget").click()
    budgets = page.get_by_role("table", name="Budgets")
    expect(budgets).to_contain_text("Whole workspace")
    expect(budgets).to_contain_text("Monthly · $25.00")
    expect(budgets).to_contain_text("$0 of $25.00 spent")
    expect(form.get_by_label("Spend limit (USD)")).to_have_value("")

    # A daily budget for one agent, with a token cap.
    form.get_by_label("Budget applies to").click()
    page.get_by_role("option", name="Agent “Support bot”").click()
    form.get_by_label("Budget period").click()
    page.get_by_role("option", name="Per day (UTC)").click()
    form.get_by_label("Spend limit (USD)").fill("0.50")
    form.get_by_label("Token cap (optional)").fill("100000")
    form.get_by_role("button", name="Set budget").click()
    expect(budgets.get_by_role("row")).to_have_count(3)
    expect(budgets).to_contain_text("Daily · $0.50 and 100,000 tokens")
    expect(budgets).to_contain_text("0 of 100,000 tokens used")

    # A rate limit for the workspace; a bad number is refused inline.
    rates = page.get_by_role("form", name="Set a rate limit")
    rates.get_by_label("Requests per minute").fill("0")
    rates.get_by_role("button", name="Set rate limit").click()
    expect(rates.get_by_text("Enter between 1 and 100,000 requests per minute.")).to_be_visible()
    rates.get_by_label("Rate limit applies to").click()
    page.get_by_role("option", name=f"End user {email}").click()
    rates.get_by_label("Requests per minute").fill("60")
    rates.get_by_label("Tokens per minute").fill("50000")
    rates.get_by_role("button", name="Set rate limit").click()
    table = page.get_by_role("table", name="Rate limits")
    expect(table).to_contain_text(f"End user {email}")
    expect(table).to_contain_text("60 requests/min")
    expect(table).to_contain_text("50,000 tokens/min")
    page.screenshot(path="/tmp/gw_settings.png", full_page=True)

    # Delete the agent's budget, after a confirmation.
    page.get_by_role("button", name="Delete daily budget of agent “Support bot”").click()
    dialog = page.get_by_role("alertdialog")
    expect(dialog).to_contain_text("Delete this budget?")
    dialog.get_by_role("button", name="Cancel").click()
    expect(budgets.get_by_role("row")).to_have_count(3)
    page.get_by_role("button", name="Delete daily budget of agent “Support bot”").click()
    page.get_by_role("alertdialog").get_by_role("button", name="Delete").click()
    expect(budgets.get_by_role("row")).to_have_count(2)
    expect(page.get_by_text("Budget deleted.")).to_be_visible()
    with session_scope() as s:
        stored = admin.list_budgets(actor=actor, session=s)
        assert [(b.scope, b.period, b.limit_nano) for b in stored] == [("workspace", "month", 25_000_000_000)]
        (rule,) = admin.list_rate_limits(actor=actor, session=s)
        assert (rule.scope, rule.scope_id, rule.requests_per_min, rule.tokens_per_min) == (
            "end_user",
            actor.user_id,
            60,
            50000,
        )


# ----------------------------------------------------------------------------- budgets and rate limits
def test_agent_daily_budget_trips_and_the_chat_says_why(page, llm_server) -> None:  # type: ignore[no-untyped-def]
    actor = _actor(new_account(page))
    # Worst case of a reply: 15,000 output tokens x $0.60/1M = $0.009 (fits $0.01 once); each reply
    # really costs ~$0.0012, so the second one's worst case no longer fits.
    agent_id = _agent(actor, _connect(actor, llm_server), name="Spender", max_tokens=15000)
    llm_server.reply = WORDS

    page.goto(f"/agents/{agent_id}?tab=limits")
    limits = page.get_by_role("region", name="Limits & budgets")
    expect(limits).to_contain_text("No budget on this agent")
    form = limits.get_by_role("form", name="Set a budget")
    expect(form.get_by_label("Budget period")).to_contain_text("Per day (UTC)")
    form.get_by_label("Spend limit (USD)").fill("0.01")
    form.get_by_role("button", name="Set budget").click()
    expect(limits.get_by_role("table", name="Budgets")).to_contain_text("Daily · $0.01")
    expect(limits).to_contain_text("$0 of $0.01 spent")

    page.goto(f"/chat?agent={agent_id}")
    _send(page, "First question")
    expect(page.locator(".chat-reply").last).to_contain_text("w1998 w1999")
    expect(page.locator(".chat-figures").last).to_contain_text("model gpt-4o-mini")
    _send(page, "Second question")
    error = page.locator(".chat-error")
    expect(error).to_have_count(1)
    expect(error).to_contain_text("Budget reached:")
    expect(error).to_contain_text("This agent's daily budget would not cover this call: it could cost up to $")
    expect(error).to_contain_text(re.compile(r"is left \(\$0\.00\d+ of \$0\.01 spent\)"))
    expect(error).to_contain_text(re.compile(r"It resets at \d{4}-\d\d-\d\d 00:00 UTC"))
    page.screenshot(path="/tmp/gw_budget_chat.png")
    assert len(llm_server.chat_requests) == 1  # refused before any provider call
    with session_scope() as s:
        runs = s.exec(select(Run).where(Run.agent_id == agent_id)).all()
        assert sorted(r.status for r in runs) == ["failed", "succeeded"]

    # The builder shows the spend; the settings page shows the usage.
    error.get_by_role("link", name="See this agent's limits").click()
    expect(page).to_have_url(re.compile(f"/agents/{agent_id}/?\\?tab=limits$"))
    expect(page.get_by_role("tab", name="Limits")).to_have_attribute("aria-selected", "true")  # the link opens it
    limits = page.get_by_role("region", name="Limits & budgets")
    expect(limits).to_contain_text(re.compile(r"\$0\.001\d* of \$0\.01 spent"))
    page.screenshot(path="/tmp/gw_builder_limits.png", full_page=True)
    page.goto("/settings")
    usage = page.get_by_role("table", name="Usage totals")
    expect(usage.get_by_role("row", name=re.compile("^Spender"))).to_contain_text("2")  # 2 calls, 1 refused
    expect(usage.get_by_role("row", name=re.compile("^Total"))).to_contain_text(re.compile(r"\$0\.001"))
    page.get_by_label("Group by").click()
    page.get_by_role("option", name="Model").click()
    expect(usage.get_by_role("row", name=re.compile("^gpt-4o-mini"))).to_be_visible()
    page.screenshot(path="/tmp/gw_usage.png", full_page=True)


def test_agent_rate_limit_refuses_the_fourth_message(page, llm_server) -> None:  # type: ignore[no-untyped-def]
    actor = _actor(new_account(page))
    agent_id = _agent(actor, _connect(actor, llm_server), name="Chatty", model="test-model")
    page.goto(f"/agents/{agent_id}?tab=limits")
    limits = page.get_by_role("region", name="Limits & budgets")
    rates = limits.get_by_role("form", name="Set a rate limit")
    rates.get_by_label("Requests per minute").fill("3")
    rates.get_by_role("button", name="Set rate limit").click()
    expect(limits.get_by_role("table", name="Rate limits")).to_contain_text("3 requests/min")

    page.goto(f"/chat?agent={agent_id}")
    for n in range(3):
        _send(page, f"Message {n + 1}")
    expect(page.locator(".chat-reply")).to_have_count(3)
    expect(page.locator(".chat-error")).to_have_count(0)
    _send(page, "Message 4")
    error = page.locator(".chat-error")
    expect(error).to_contain_text("Rate limit reached:")
    expect(error).to_contain_text(re.compile(r"rate limited — retry in \d+ s"))
    expect(error).to_contain_text("3 requests per minute")
    page.screenshot(path="/tmp/gw_rate_chat.png")
    assert len(llm_server.chat_requests) == 3


# ----------------------------------------------------------------------------- fallbacks
def test_fallback_answers_when_the_first_endpoint_is_down(page, llm_server) -> None:  # type: ignore[no-untyped-def]
    actor = _actor(new_account(page))
    primary = _connect(actor, llm_server, name="Primary")
    with LLMTestServer(api_key="sk-test-backup-0000000000", models=("test-model",)) as backup_server:
        backup = _connect(actor, backup_server, name="Backup")
        agent_id = _agent(actor, primary, name="Resilient")
        page.goto(f"/agents/{agent_id}?tab=model")
        expect(page.get_by_text("No fallbacks: a failing model fails the reply.")).to_be_visible()
        expect(page.get_by_text("gpt-4o-mini: 128,000-token context · $0.15 input / $0.60 output")).to_be_visible()
        page.get_by_label("Add a fallback").click()
        page.get_by_role("option", name="test-model · Backup").click()
        page.get_by_role("button", name="Add fallback").click()
        page.get_by_label("Add a fallback").click()
        page.get_by_role("option", name="test-model · Primary").click()
        page.get_by_role("button", name="Add fallback").click()
        expect(page.get_by_role("group", name="Fallback 1")).to_contain_text("test-model · Backup")
        expect(page.get_by_role("group", name="Fallback 2")).to_contain_text("test-model · Primary")
        page.get_by_role("button", name="Move fallback 2 up").click()
        expect(page.get_by_role("group", name="Fallback 1")).to_contain_text("test-model · Primary")
        page.get_by_role("button", name="Remove fallback 1").click()
        expect(page.get_by_role("group", name="Fallback 2")).to_have_count(0)
        expect(page.get_by_role("group", name="Fallback 1")).to_contain_text("test-model · Backup")
        page.screenshot(path="/tmp/gw_builder_fallbacks.png", full_page=True)
        page.get_by_role("button", name="Save version").click()
        expect(page.get_by_text("Saved as v2")).to_be_visible()
        with session_scope() as s:
            assert get_blueprint(actor=actor, agent_id=agent_id, session=s).fallbacks == [
                {"connection_id": backup, "model": "test-model"}
            ]
        page.reload()
        page.get_by_role("tab", name="Model").click()
        expect(page.get_by_role("group", name="Fallback 1")).to_contain_text("test-model · Backup")

        llm_server.fail_next(500, times=10)  # the first endpoint is down
        page.goto(f"/chat?agent={agent_id}")
        _send(page, "Anyone home?")
        expect(page.locator(".chat-reply").last).to_contain_text("Hello! I am a test model.")
        expect(page.locator(".chat-figures").last).to_contain_text("model test-model")
        note = page.locator(".chat-fallback").last
        expect(note).to_contain_text("Answered by test-model on Backup (fallback 1)")
        expect(note).to_contain_text("after gpt-4o-mini on Primary failed (HTTP 500, 3 tries)")
        page.screenshot(path="/tmp/gw_fallback_chat.png")
        assert len(backup_server.chat_requests) == 1
        with session_scope() as s:
            (run,) = s.exec(select(Run).where(Run.agent_id == agent_id)).all()
            assert run.model == "test-model" and run.connection_id == backup
            assert [a["outcome"] for a in run.fallback_path] == ["error", "ok"]
        page.reload()  # what is shown comes from the stored run
        expect(page.locator(".chat-fallback").last).to_contain_text("Answered by test-model on Backup")


def test_a_fallback_on_a_deleted_connection_is_an_inline_error(page, llm_server) -> None:  # type: ignore[no-untyped-def]
    actor = _actor(new_account(page))
    primary = _connect(actor, llm_server, name="Primary")
    with LLMTestServer(models=("test-model",)) as spare_server:
        spare = _connect(actor, spare_server, name="Spare")
    agent_id = _agent(actor, primary, name="Orphan", fallbacks=[{"connection_id": spare, "model": "test-model"}])
    with session_scope() as s:
        delete_connection(actor=actor, connection_id=spare, session=s)
    page.goto(f"/agents/{agent_id}?tab=model")
    expect(page.get_by_role("group", name="Fallback 1")).to_contain_text("test-model · a deleted connection")
    page.get_by_role("button", name="Save version").click()
    expect(page.get_by_text("A fallback's connection no longer exists.")).to_be_visible()
    expect(page.get_by_text("Fix the highlighted fields, then save again.")).to_be_visible()
    page.get_by_role("button", name="Remove fallback 1").click()
    page.get_by_role("button", name="Save version").click()
    expect(page.get_by_text("Saved as v2")).to_be_visible()
    with session_scope() as s:
        assert get_blueprint(actor=actor, agent_id=agent_id, session=s).fallbacks == []


# ----------------------------------------------------------------------------- catalog
def test_connection_manager_shows_the_catalog_and_edits_a_price(page, llm_server) -> None:  # type: ignore[no-untyped-def]
    actor = _actor(new_account(page))
    conn_id = _connect(actor, llm_server, name="Local LLM")
    page.goto("/connections")
    row = page.get_by_role("article", name="Local LLM")
    row.get_by_text("Models & prices (2)").click()
    table = row.get_by_role("table", name="Models and prices of Local LLM")
    mini = table.get_by_role("row", name=re.compile("^gpt-4o-mini"))
    expect(mini).to_contain_text("128,000")
    expect(mini).to_contain_text("$0.15")
    expect(mini).to_contain_text("$0.60")
    expect(mini).to_contain_text("list price")
    expect(table.get_by_role("row", name=re.compile("^test-model"))).to_contain_text("unknown")

    row.get_by_role("button", name="Edit price of test-model on Local LLM").click()
    form = row.get_by_role("form", name="Edit price of test-model")
    form.get_by_label("Input USD per 1M tokens").fill("1")
    form.get_by_role("button", name="Save price").click()
    expect(form.get_by_text("Enter both the input and the output price, or neither.")).to_be_visible()
    page.screenshot(path="/tmp/gw_price_form.png", full_page=True)
    form.get_by_label("Context window (tokens)").fill("8192")
    form.get_by_label("Output USD per 1M tokens").fill("2.5")
    form.get_by_role("button", name="Save price").click()
    expect(form).to_have_count(0)
    expect(page.get_by_text("Saved the price of test-model on Local LLM.")).to_be_visible()
    test_row = table.get_by_role("row", name=re.compile("^test-model"))
    expect(test_row).to_contain_text("8,192")
    expect(test_row).to_contain_text("$1.00")
    expect(test_row).to_contain_text("$2.50")
    expect(test_row).to_contain_text("set here")
    page.screenshot(path="/tmp/gw_catalog.png", full_page=True)
    with session_scope() as s:
        entry = next(e for e in admin.get_catalog(actor=actor, session=s) if e.model == "test-model")
        assert (entry.context_window, entry.input_usd_per_1m, entry.output_usd_per_1m) == (8192, 1.0, 2.5)

    # The builder's model picker shows the catalog's figures next to the reported models.
    agent_id = _agent(actor, conn_id, name="Priced", model="test-model")
    page.goto(f"/agents/{agent_id}?tab=model")
    expect(page.get_by_role("button", name="test-model", exact=True)).to_contain_text("8k · $1.00/$2.50")
    expect(page.get_by_role("button", name="gpt-4o-mini", exact=True)).to_contain_text("128k · $0.15/$0.60")
    expect(
        page.get_by_text("test-model: 8,192-token context · $1.00 input / $2.50 output per 1M tokens")
    ).to_be_visible()

    # Reset: the list price (unknown for test-model) applies again.
    page.goto("/connections")
    row = page.get_by_role("article", name="Local LLM")
    row.get_by_text("Models & prices (2)").click()
    row.get_by_role("button", name="Reset price of test-model on Local LLM").click()
    expect(page.get_by_text("Reset the price of test-model on Local LLM.")).to_be_visible()
    expect(row.get_by_role("row", name=re.compile("^test-model"))).to_contain_text("unknown")
