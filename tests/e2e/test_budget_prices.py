"""Honest dollar budgets in the browser: a budget on a model without a known price asks for it.

A custom endpoint's model (``test-model``) has no list price, so its replies count as $0 and a
dollar budget alone would never stop them. The limits card (Settings and the builder) asks for
the price, saved on the connection's model catalog, or offers a token cap instead.
"""

from __future__ import annotations

import pytest
from playwright.sync_api import expect

from tests.support.e2e import actor_for, add_agent, add_connection, new_account

pytestmark = pytest.mark.e2e


def _budgets(actor):  # type: ignore[no-untyped-def]
    from backend.db import session_scope
    from backend.gateway import admin

    with session_scope() as s:
        return admin.list_budgets(actor=actor, session=s)


def _catalog_price(actor, model: str):  # type: ignore[no-untyped-def]
    from backend.db import session_scope
    from backend.gateway.catalog import get_catalog

    with session_scope() as s:
        entry = next(e for e in get_catalog(actor=actor, session=s) if e.model == model)
    return entry.input_usd_per_1m, entry.output_usd_per_1m, entry.price_source


def test_dollar_budget_on_an_unpriced_model_asks_for_its_price_or_a_token_cap(page, llm_server) -> None:  # type: ignore[no-untyped-def]
    actor = actor_for(new_account(page))
    add_agent(actor, add_connection(actor, llm_server, check=True), name="Helper")  # test-model: no price
    page.goto("/settings")
    form = page.get_by_role("form", name="Set a budget")
    form.get_by_label("Spend limit (USD)").fill("0.01")
    form.get_by_role("button", name="Set budget").click()

    prompt = page.locator(".price-prompt")
    expect(prompt.get_by_role("heading", name="This budget needs a price")).to_be_visible()
    expect(prompt).to_contain_text("test-model on “Local test server” (agent “Helper”)")
    expect(prompt).to_contain_text("would never stop it")
    expect(form.get_by_label("Spend limit (USD)")).to_have_value("0.01")  # nothing typed is lost
    assert _budgets(actor) == []  # not saved as a budget that cannot bind
    page.screenshot(path="/tmp/budget-price-prompt.png", full_page=True)

    # a token cap instead: it binds a model without a price
    prompt.get_by_label("Or a token cap per period").fill("lots")
    prompt.get_by_role("button", name="Set token cap instead").click()
    expect(prompt.get_by_role("alert").filter(has_text="whole number of tokens")).to_be_visible()
    prompt.get_by_label("Or a token cap per period").fill("5000")
    prompt.get_by_role("button", name="Set token cap instead").click()
    expect(page.get_by_text("Token cap set.")).to_be_visible()
    expect(prompt).to_have_count(0)
    budgets = page.get_by_role("table", name="Budgets")
    expect(budgets).to_contain_text("Daily · 5,000 tokens")
    (cap,) = _budgets(actor)
    assert cap.token_limit == 5000

    # the dollar budget again: this time with the price, saved on the connection's catalog
    form.get_by_label("Spend limit (USD)").fill("0.01")
    form.get_by_role("button", name="Set budget").click()
    expect(prompt.get_by_label("Input price (USD per 1M tokens)")).to_be_visible()
    prompt.get_by_label("Input price (USD per 1M tokens)").fill("0.15")
    prompt.get_by_role("button", name="Save price and budget").click()
    expect(prompt.get_by_role("alert").filter(has_text="test-model: Enter both prices")).to_be_visible()
    prompt.get_by_label("Output price (USD per 1M tokens)").fill("0.60")
    prompt.get_by_role("button", name="Save price and budget").click()
    expect(prompt).to_have_count(0)
    expect(budgets).to_contain_text("Daily · $0.01")
    assert _catalog_price(actor, "test-model") == (0.15, 0.6, "override")
    assert len(_budgets(actor)) == 1  # the daily budget, replaced

    # now priced: the next dollar budget is saved at once
    form.get_by_label("Budget period").click()
    page.get_by_role("option", name="Per month (UTC)").click()
    form.get_by_label("Spend limit (USD)").fill("1")
    form.get_by_role("button", name="Set budget").click()
    expect(budgets).to_contain_text("Monthly · $1.00")
    expect(prompt).to_have_count(0)
