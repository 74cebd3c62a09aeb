"""Billing in offline test mode, in the browser: a publisher prices an agent at $5/month +
$0.01 per run; a subscriber checks out on the test-mode page ("no card is charged"), runs it 3
times (a run before paying is refused, with a link to the checkout) and sees the usage and the
period's invoice preview; after ``agenthub billing tick``
(advanced past the period end, like a test clock) the subscriber has a paid invoice and the
publisher sees revenue, platform fee, LLM cost and margin; ``agenthub billing reconcile``
reports no difference.

Connections, agents and the model's price are set up through the services; everything else
through the pages, against the local OpenAI-compatible test server (echo replies).
"""

from __future__ import annotations

import os
import re
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest
from playwright.sync_api import expect

from tests.support.e2e import actor_for, add_agent, add_connection, new_account, send, sign_up

pytestmark = pytest.mark.e2e
ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture
def second_page(browser, app_url: str) -> Iterator[object]:  # type: ignore[no-untyped-def]
    """Another browser (its own cookies): the subscriber."""
    context = browser.new_context(base_url=app_url, viewport={"width": 1366, "height": 800})
    context.set_default_timeout(15_000)
    yield context.new_page()
    context.close()


def _agenthub(*args: str) -> str:
    """Run the ``agenthub`` command (the console script's entry point) on the test database."""
    done = subprocess.run(  # noqa: S603  (our own CLI)
        [sys.executable, "-m", "marketplace.cli", *args],
        cwd=ROOT,
        env={**os.environ, "PYTHONPATH": str(ROOT)},
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    return done.stdout + done.stderr


def _priced_agent(page, llm_server, title: str) -> None:  # type: ignore[no-untyped-def]
    """A publisher with an agent whose model has a price ($1,000 per 1M tokens: runs cost money)."""
    from backend.db import session_scope
    from backend.gateway.admin import set_model_override

    actor = actor_for(new_account(page))
    connection = add_connection(actor, llm_server)
    with session_scope() as s:
        set_model_override(
            actor=actor,
            connection_id=connection,
            model="test-model",
            input_usd_per_1m=1000.0,
            output_usd_per_1m=1000.0,
            session=s,
        )
    add_agent(actor, connection, name=title)


def test_offline_billing_loop(page, second_page, llm_server) -> None:  # type: ignore[no-untyped-def]
    llm_server.reply = None  # echo
    title = "Paid Helper " + os.urandom(3).hex()
    _priced_agent(page, llm_server, title)

    # the publisher prices it at $5 a month + $0.01 per run and publishes
    page.goto("/publisher")
    page.get_by_role("link", name=re.compile(title)).click()
    page.get_by_label("Tagline").fill("Answers, for a fee.")
    page.get_by_role("radio", name="Monthly subscription").click()
    page.get_by_label("Monthly price ($)").fill("5")
    page.get_by_label("Price per run beyond the included runs ($)").fill("0.01")
    page.get_by_role("button", name="Save listing").click()
    expect(page.get_by_text("Saved.")).to_be_visible()
    page.get_by_role("button", name="Publish").click()
    expect(page.get_by_text("Published: anyone can find it")).to_be_visible()

    # the subscriber checks out on the test-mode page
    fan = second_page
    sign_up(fan)
    fan.goto("/marketplace")
    fan.get_by_label("Search agents").fill(title.split()[-1])
    fan.get_by_label("Search agents").press("Enter")
    fan.get_by_role("link", name=title).click()
    fan.get_by_role("button", name="Subscribe · $5.00 / month · then $0.01 per run").click()
    expect(fan.get_by_text("Test mode: no card is charged")).to_be_visible()
    expect(fan.locator(".checkout-plan")).to_have_text("$5.00 / month · then $0.01 per run")
    fan.screenshot(path="/tmp/billing-checkout.png")

    # before paying, the chat refuses a run, says why and links to the checkout
    fan.go_back()
    fan.get_by_role("link", name=f"Chat with {title}").click()
    send(fan, "Hello before paying")
    expect(fan.get_by_role("alert").filter(has_text="Finish checkout to start using")).to_be_visible()
    fan.screenshot(path="/tmp/billing-refused.png")
    fan.locator(".chat-fix").get_by_role("button", name="Finish checkout").click()
    expect(fan.get_by_text("Test mode: no card is charged")).to_be_visible()
    fan.get_by_role("button", name="Confirm").click()
    expect(fan.get_by_text("Payment received: your subscription is active.")).to_be_visible()
    expect(fan.locator(".billing-subscription")).to_contain_text("Renews on")

    # ... runs it three times
    fan.goto("/marketplace")
    fan.get_by_label("Search agents").fill(title.split()[-1])
    fan.get_by_label("Search agents").press("Enter")
    fan.get_by_role("link", name=title).click()
    fan.get_by_role("link", name=f"Chat with {title}").click()
    for n in range(3):
        send(fan, f"Question number {n}")
        expect(fan.locator(".chat-reply").last).to_contain_text(f"You said: Question number {n}", timeout=20_000)
    out = _agenthub("billing", "tick")  # what the worker does each minute, now
    assert "usage record(s) processed" in out, out

    # ... and sees the usage and the invoice preview of the open period
    fan.goto("/billing")
    expect(fan.locator(".billing-usage")).to_contain_text("Runs this period: 3")
    expect(fan.locator(".invoice-preview")).to_contain_text("$5.03")
    fan.screenshot(path="/tmp/billing-subscriber.png", full_page=True)

    # the period ends: a paid invoice, the publisher's revenue, fee, LLM cost and margin
    out = _agenthub("billing", "tick", "--advance-days", "31")
    assert "1 invoice(s) issued" in out, out
    fan.reload()
    invoice = fan.locator(".invoice").first
    expect(invoice).to_contain_text("$5.03")
    expect(invoice).to_contain_text("paid")
    page.goto("/earnings")
    expect(page.locator(".earnings-gross")).to_have_text("$5.03")
    expect(page.locator(".earnings-fee")).to_have_text("$1.01")  # 20 % of 503 cents, rounded half up
    expect(page.locator(".earnings-llm")).not_to_have_text("$0.0000")
    expect(page.get_by_role("region", name="By listing")).to_contain_text(title)
    expect(page.get_by_text("Payouts are simulated in test mode")).to_be_visible()
    page.screenshot(path="/tmp/billing-earnings.png", full_page=True)
    assert "Reconciled: no differences." in _agenthub("billing", "reconcile")
