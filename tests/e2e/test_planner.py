"""Done-when of planner mode: the builder turns on "Plan complex requests"; asked a multi-part
question, the agent's plan shows as a checklist whose steps run and complete live; the answer
follows; after a reload the checklist is still under the answer.

The local OpenAI-compatible server scripts the model: the plan (JSON), each step's executor (a
calculator call, answers with a delay so the running state can be seen) and the final answer.
"""

from __future__ import annotations

import json

import pytest
from playwright.sync_api import expect

from backend.agents.service import create_agent, get_blueprint
from backend.db import session_scope
from backend.models import BlueprintFields
from tests.support.e2e import actor_for, add_connection, new_account

pytestmark = pytest.mark.e2e

PLAN = {
    "complex": True,
    "steps": [
        {"goal": "Compute the cost of 12 boxes at 7 dollars", "agent": "self", "tools": ["calculator"]},
        {"goal": "Compute the shipping for 12 boxes at 2 dollars", "agent": "self", "tools": ["calculator"]},
    ],
}


def test_a_planner_agent_shows_its_plan_steps_complete_and_keeps_the_checklist(page, llm_server) -> None:  # type: ignore[no-untyped-def]
    actor = actor_for(new_account(page))
    conn = add_connection(actor, llm_server)
    fields = BlueprintFields(name="Quartermaster", connection_id=conn, model="test-model", tools=["calculator"])
    with session_scope() as s:
        agent_id = create_agent(actor=actor, fields=fields, session=s)

    # the builder: switch planner mode on and save a version
    page.goto(f"/agents/{agent_id}?tab=tools")
    switch = page.get_by_role("switch", name="Plan complex requests")
    expect(switch).not_to_be_checked()
    expect(page.get_by_text("writes a plan of up to 6 steps")).to_be_visible()
    switch.click()
    expect(switch).to_be_checked()
    page.get_by_role("button", name="Save version").click()
    expect(page.get_by_text("Saved as v2")).to_be_visible()
    with session_scope() as s:
        assert get_blueprint(actor=actor, agent_id=agent_id, session=s).plan_complex is True

    llm_server.script = [
        {"content": json.dumps(PLAN)},
        # each step stays "running" ~5 s, long enough to be seen between two looks on a busy machine
        # (CI's failures here were a race instead: a stored-plan reload wiped the live checklist)
        {"tool_calls": [{"name": "calculator", "arguments": {"expression": "12*7"}}], "delay_ms": 2500},
        {"content": "12 boxes cost 84 dollars.", "delay_ms": 2500},
        {"content": "Shipping is 24 dollars.", "delay_ms": 5000},
        {"content": "In total you pay 84 dollars for the boxes and 24 dollars for shipping."},
    ]
    page.goto(f"/chat?agent={agent_id}")
    page.get_by_label("Message", exact=True).fill("What do 12 boxes cost at 7 dollars, and what is shipping at 2?")
    page.get_by_role("button", name="Send").click()

    steps = page.locator(".plan-step")
    expect(steps).to_have_count(2, timeout=30_000)
    expect(steps.nth(0)).to_have_attribute("data-status", "running", timeout=30_000)
    expect(steps.nth(1)).to_have_attribute("data-status", "pending")
    expect(page.locator(".chat-step").filter(has_text="Calculator")).to_be_visible(timeout=30_000)
    expect(steps.nth(1)).to_have_attribute("data-status", "running", timeout=30_000)
    expect(steps.nth(0)).to_have_attribute("data-status", "done")
    expect(page.get_by_text("In total you pay 84 dollars")).to_be_visible(timeout=30_000)
    expect(steps).to_have_count(2)
    expect(steps.nth(0)).to_contain_text("1. Compute the cost of 12 boxes at 7 dollars")
    expect(steps.nth(1)).to_have_attribute("data-status", "done")
    page.screenshot(path="/tmp/planner_chat.png", full_page=True)

    # the stored checklist comes back with the conversation, results inside each step
    page.reload()
    expect(page.get_by_text("In total you pay 84 dollars")).to_be_visible(timeout=30_000)
    steps = page.locator(".plan-step")
    expect(steps).to_have_count(2)
    expect(steps.nth(0)).to_have_attribute("data-status", "done")
    expect(steps.nth(1)).to_have_attribute("data-status", "done")
    steps.nth(1).locator("summary").click()
    expect(steps.nth(1)).to_contain_text("Shipping is 24 dollars.")
