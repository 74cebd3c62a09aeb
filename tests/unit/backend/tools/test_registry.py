"""The registry: the built-in names contract, OpenAI tool specs, custom tools, tool definitions."""

from __future__ import annotations

from collections.abc import Callable

import pytest
from jsonschema.exceptions import SchemaError

from backend.accounts.actor import Actor
from backend.db import session_scope
from backend.models.tools import CustomToolCreate
from backend.tools.base import Tool, object_schema
from backend.tools.custom import create_custom_tool
from backend.tools.registry import (
    BUILTIN_NAMES,
    ToolRegistry,
    available_tools,
    builtin_registry,
    openai_tool_specs,
    resolve_tools,
)

RISKS = {
    "http_request": "external",
    "fetch_webpage": "external",
    "create_task": "write",
    "list_tasks": "read",
    "complete_task": "write",
    "create_note": "write",
    "search_notes": "read",
    "send_notification": "write",
    "current_datetime": "read",
    "calculator": "read",
    "summarize_conversation": "read",
    "knowledge_search": "read",
}


def test_builtin_names_are_the_contract() -> None:
    registry = builtin_registry()
    assert registry.names() == list(BUILTIN_NAMES) == list(RISKS)
    assert {t.name: t.risk for t in registry} == RISKS
    assert all(t.timeout_s == 10 and t.version == "1" and t.source == "builtin" and t.title for t in registry)


def test_openai_specs_follow_the_allowlist() -> None:
    specs = openai_tool_specs(["calculator", "nope", "create_task", "calculator"])
    assert [s["function"]["name"] for s in specs] == ["calculator", "create_task"]
    for spec in openai_tool_specs(list(BUILTIN_NAMES)):
        assert spec["type"] == "function" and set(spec["function"]) == {"name", "description", "parameters"}
        assert spec["function"]["parameters"]["type"] == "object" and spec["function"]["description"]
    assert openai_tool_specs([]) == []


def test_custom_tools_join_the_registry_per_workspace(make_actor: Callable[[], Actor]) -> None:
    alice, bob = make_actor(), make_actor()
    with session_scope() as s:
        create_custom_tool(
            actor=alice,
            data=CustomToolCreate(name="weather", description="Weather.", url_template="https://api.example.com/w"),
            session=s,
        )
    assert set(resolve_tools(["weather", "calculator"], workspace_id=alice.workspace_id)) == {"weather", "calculator"}
    assert set(resolve_tools(["weather"], workspace_id=bob.workspace_id)) == set()
    assert set(resolve_tools(["weather"], workspace_id=None)) == set()
    with session_scope() as s:
        listed = available_tools(actor=alice, session=s)
    assert [t.name for t in listed] == [*BUILTIN_NAMES, "weather"]
    assert listed[-1].source == "custom" and listed[-1].risk == "external"


async def _noop(arguments: dict[str, object], context: object) -> None:
    return None


def test_tool_definitions_are_checked() -> None:
    ok = Tool(name="ok_tool", description="d", parameters=object_schema({}), handler=_noop)
    with pytest.raises(ValueError, match="already registered"):
        ToolRegistry([ok, ok])
    with pytest.raises(ValueError, match="Invalid tool name"):
        Tool(name="Bad Name", description="d", parameters=object_schema({}), handler=_noop)
    with pytest.raises(ValueError, match="Invalid risk"):
        Tool(name="t", description="d", parameters=object_schema({}), handler=_noop, risk="dangerous")  # type: ignore[arg-type]
    with pytest.raises(SchemaError):
        Tool(name="t", description="d", parameters={"type": "objekt"}, handler=_noop)


async def test_knowledge_search_is_registered_and_tenant_scoped(  # type: ignore[no-untyped-def]
    call_tool, actor: Actor, make_actor: Callable[[], Actor], make_agent: Callable[..., str]
) -> None:
    agent_id = make_agent(actor)
    own = await call_tool("knowledge_search", '{"query": "refund policy"}', agent_id=agent_id)
    assert own.ok and own.output == {"passages": []}, own.error
    stranger = make_actor()
    other = await call_tool("knowledge_search", '{"query": "refund policy"}', agent_id=agent_id, as_actor=stranger)
    assert other.status == "error"
