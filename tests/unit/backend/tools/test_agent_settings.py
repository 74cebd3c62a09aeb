"""An agent's tool settings: blueprint fields, validation and the run context they give."""

from __future__ import annotations

from collections.abc import Callable

from backend.accounts.actor import Actor
from backend.agents.service import get_blueprint
from backend.db import session_scope
from backend.models import BlueprintFields
from backend.tools.agent_settings import run_context_for, validate_tool_settings


def test_fields_default_empty_and_round_trip(actor: Actor, make_agent: Callable[..., str]) -> None:
    plain = make_agent(actor)
    tooled = make_agent(
        actor,
        tools=["create_task", "http_request"],
        allowed_domains=["api.example.com"],
        approval_tools=["http_request"],
    )
    with session_scope() as s:
        empty = get_blueprint(actor=actor, agent_id=plain, session=s)
        full = get_blueprint(actor=actor, agent_id=tooled, session=s)
    assert (empty.tools, empty.allowed_domains, empty.approval_tools) == ([], [], [])
    assert full.tools == ["create_task", "http_request"] and full.allowed_domains == ["api.example.com"]
    context = run_context_for(full, conversation_id="c1")
    assert context.allowed_domains == ("api.example.com",) and context.approval_tools == ("http_request",)
    assert context.conversation_id == "c1" and context.net_allow is None


def test_validation(actor: Actor) -> None:
    fields = BlueprintFields(
        name="A",
        tools=["calculator", "teleport"],
        allowed_domains=["api.example.com", "https://bad.example.com/x"],
        approval_tools=["calculator", "send_notification"],
    )
    with session_scope() as s:
        errors = validate_tool_settings(fields, actor=actor, session=s)
    assert errors["tools"] == "Unknown tool: teleport."
    assert "is not a domain name" in errors["allowed_domains"]
    assert "send_notification" in errors["approval_tools"]
    good = BlueprintFields(name="A", tools=["calculator"], allowed_domains=["*.Example.com"], approval_tools=[])
    with session_scope() as s:
        assert validate_tool_settings(good, actor=actor, session=s) == {}
    assert run_context_for(good).allowed_domains == ("*.example.com",)
