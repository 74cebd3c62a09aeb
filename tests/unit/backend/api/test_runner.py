"""Run events as the native API's server-sent events: planner mode's plan and step updates."""

from __future__ import annotations

import json

from backend.api.runner import event_payload, sse
from backend.api.schemas import EVENT_TYPES
from backend.runtime.events import PlanCreated, PlanStepInfo, PlanStepUpdated


def test_a_plan_and_its_steps_are_sent_as_plan_and_plan_step_events() -> None:
    plan = PlanCreated("p1", "r1", (PlanStepInfo("s1", 1, "Find the capital", "self", ("calculator",)),))
    kind, data = event_payload(plan, listing=True)
    assert kind == "plan" and kind in EVENT_TYPES
    assert data["steps"][0] == {
        "step_id": "s1",
        "position": 1,
        "goal": "Find the capital",
        "agent": "self",
        "tools": ("calculator",),
        "status": "pending",
    }
    kind, data = event_payload(PlanStepUpdated("p1", "s1", 1, "done", "Paris", 1200), listing=False)
    assert (kind, data["status"], data["summary"], data["duration_ms"]) == ("plan_step", "done", "Paris", 1200)
    assert kind in EVENT_TYPES
    text = sse(data, event=kind, event_id=7)
    assert (
        text.startswith("id: 7\nevent: plan_step\ndata: ") and json.loads(text.split("data: ", 1)[1])["step_id"] == "s1"
    )
