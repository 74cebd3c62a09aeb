"""Custom HTTP tools: validation with per-field errors, the encrypted auth value, isolation, and
calls against a local API (placeholders, query, headers, body, auth header, guard)."""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

import pytest
from sqlmodel import select

from backend.accounts.actor import Actor, NotFound
from backend.db import session_scope
from backend.models.tools import CustomTool, CustomToolCreate, CustomToolParameter
from backend.security.keys import get_vault
from backend.security.vault import VaultError
from backend.tools.base import InvalidInput, RunContext
from backend.tools.custom import create_custom_tool, delete_custom_tool, list_custom_tools, update_custom_tool
from backend.tools.registry import openai_tool_specs
from tests.support.echo_server import EchoServer

from .conftest import local_context

SECRET = "live-key-7f3a9c2b1d"


def _form(port: int = 9, **overrides: Any) -> CustomToolCreate:
    data: dict[str, Any] = {
        "name": "get_item",
        "description": "Fetch one item of the inventory by id.",
        "method": "GET",
        "url_template": f"http://127.0.0.1:{port}/items/{{item_id}}?fixed=1",
        "parameters": [
            CustomToolParameter(name="item_id", type="integer", description="Item number", required=True),
            CustomToolParameter(name="fields", type="string"),
            CustomToolParameter(name="X-Mode", type="string", location="header"),
            CustomToolParameter(name="verbose", type="boolean"),
        ],
        "auth_header": "X-API-Key",
        "auth_secret": SECRET,
    }
    data.update(overrides)
    return CustomToolCreate(**data)


def _create(actor: Actor, form: CustomToolCreate) -> str:
    with session_scope() as s:
        return create_custom_tool(actor=actor, data=form, session=s).id


def test_create_encrypts_the_auth_value_and_shows_only_a_hint(actor: Actor) -> None:
    with session_scope() as s:
        tool = create_custom_tool(actor=actor, data=_form(), session=s)
    assert tool.secret_hint == "…2b1d"
    assert tool.has_secret and SECRET not in tool.model_dump_json()
    assert [p["location"] for p in tool.parameters] == ["path", "query", "header", "query"]
    assert tool.parameters[0]["required"] is True
    with session_scope() as s:
        row = s.get(CustomTool, tool.id)
        assert row is not None and row.secret and SECRET not in row.secret
    vault = get_vault()
    assert vault.decrypt(row.secret, associated_data=f"{actor.workspace_id}:{tool.id}") == SECRET
    with pytest.raises(VaultError):
        vault.decrypt(row.secret, associated_data=f"{actor.workspace_id}:someothertool")


@pytest.mark.parametrize(
    ("overrides", "errors"),
    [
        ({"name": "Get Item!"}, {"name": "lower-case"}),
        ({"name": "calculator"}, {"name": "built-in"}),
        ({"description": " "}, {"description": "Describe"}),
        ({"method": "TRACE"}, {"method": "Choose GET"}),
        ({"url_template": "ftp://example.com/x"}, {"url_template": "http:// or https://"}),
        ({"url_template": "https://{host}.example.com/items/{item_id}"}, {"url_template": "not in the host"}),
        ({"url_template": "https://example.com/items/{item_id"}, {"url_template": "Unbalanced"}),
        ({"url_template": "https://u:p@example.com/{item_id}"}, {"url_template": "credentials"}),
        (
            {"url_template": "https://example.com/items/{item_id}/{part}"},
            {"url_template": "Add a path parameter named 'part'"},
        ),
        (
            {"parameters": [CustomToolParameter(name="item_id", type="integer"), CustomToolParameter(name="item_id")]},
            {"parameters[1].name": "Duplicate"},
        ),
        (
            {"parameters": [CustomToolParameter(name="item_id", type="date")]},
            {"parameters[0].type": "Choose string"},
        ),
        (
            {"parameters": [CustomToolParameter(name="item_id"), CustomToolParameter(name="q", location="cookie")]},
            {"parameters[1].location": "Choose path"},
        ),
        (
            {"parameters": [CustomToolParameter(name="item_id"), CustomToolParameter(name="q", location="body")]},
            {"parameters[1].location": "no body"},
        ),
        (
            {"parameters": [CustomToolParameter(name="item_id"), CustomToolParameter(name="zz", location="path")]},
            {"parameters[1].location": "no {zz} placeholder"},
        ),
        ({"method": "POST", "body_schema": {"type": "objekt"}}, {"body_schema": "Not a valid JSON schema"}),
        ({"body_schema": {"type": "object"}}, {"body_schema": "no body"}),
        ({"auth_secret": None}, {"auth_secret": "Enter the value"}),
        ({"auth_secret": "two\nlines"}, {"auth_secret": "one line"}),
        ({"auth_header": "Host"}, {"auth_header": "Not a header name"}),
    ],
)
def test_validation_errors_name_the_field(actor: Actor, overrides: dict[str, Any], errors: dict[str, str]) -> None:
    with session_scope() as s, pytest.raises(InvalidInput) as info:
        create_custom_tool(actor=actor, data=_form(**overrides), session=s)
    for field, text in errors.items():
        assert field in info.value.errors and text in info.value.errors[field], info.value.errors


def test_update_keeps_the_secret_bumps_the_version_and_checks_names(actor: Actor) -> None:
    tool_id = _create(actor, _form())
    _create(actor, _form(name="other_tool"))
    with session_scope() as s:
        updated = update_custom_tool(
            actor=actor, tool_id=tool_id, data=_form(auth_secret=None, description="New."), session=s
        )
    assert updated.version == 2 and updated.has_secret and updated.description == "New."
    with session_scope() as s, pytest.raises(InvalidInput) as info:
        update_custom_tool(actor=actor, tool_id=tool_id, data=_form(name="other_tool"), session=s)
    assert "already has a tool named" in info.value.errors["name"]
    with session_scope() as s:
        cleared = update_custom_tool(
            actor=actor, tool_id=tool_id, data=_form(auth_header="", auth_secret=None), session=s
        )
    assert not cleared.has_secret and cleared.secret_hint == "" and cleared.auth_header == ""


def test_isolation(make_actor: Callable[[], Actor]) -> None:
    alice, bob = make_actor(), make_actor()
    tool_id = _create(alice, _form())
    _create(bob, _form())  # the same name in another workspace is fine
    with session_scope() as s:
        assert [t.id for t in list_custom_tools(actor=alice, session=s)] == [tool_id]
        with pytest.raises(NotFound):
            update_custom_tool(actor=bob, tool_id=tool_id, data=_form(), session=s)
        with pytest.raises(NotFound):
            delete_custom_tool(actor=bob, tool_id=tool_id, session=s)
    assert openai_tool_specs(["get_item"], workspace_id=alice.workspace_id)[0]["function"]["name"] == "get_item"
    with session_scope() as s:
        delete_custom_tool(actor=alice, tool_id=tool_id, session=s)
    with session_scope() as s:
        assert s.exec(select(CustomTool).where(CustomTool.id == tool_id)).first() is None
    assert openai_tool_specs(["get_item"], workspace_id=alice.workspace_id) == []


async def test_call_fills_the_request_and_sends_the_auth_header(call_tool, actor: Actor) -> None:  # type: ignore[no-untyped-def]
    with EchoServer() as server:
        _create(actor, _form(port=server.port))
        spec = openai_tool_specs(["get_item"], workspace_id=actor.workspace_id)[0]["function"]
        assert spec["parameters"]["required"] == ["item_id"]
        assert spec["parameters"]["properties"]["item_id"] == {"type": "integer", "description": "Item number"}
        args = {"item_id": 42, "fields": "name price", "X-Mode": "fast", "verbose": True}
        result = await call_tool("get_item", json.dumps(args), context=local_context())
        bad = await call_tool("get_item", '{"item_id": "forty-two"}', context=local_context())
    assert result.ok, result.error
    [request, *_] = server.requests
    assert request["path"] == "/items/42?fixed=1&fields=name+price&verbose=true"
    assert request["headers"]["X-API-Key"] == SECRET and request["headers"]["X-Mode"] == "fast"
    assert result.output["status"] == 200 and result.summary == "HTTP 200 from 127.0.0.1"
    assert bad.status == "error" and "item_id: 'forty-two' is not of type 'integer'" in bad.error
    with session_scope() as s:
        from backend.models.tools import ToolAudit

        rows = s.exec(select(ToolAudit).where(ToolAudit.workspace_id == actor.workspace_id)).all()
    assert rows and all(SECRET not in json.dumps(r.arguments) + r.summary + r.error for r in rows)
    assert rows[0].tool_version == "1"


async def test_post_with_body_fields_and_with_a_body_schema(call_tool, actor: Actor) -> None:  # type: ignore[no-untyped-def]
    with EchoServer() as server:
        _create(
            actor,
            _form(
                port=server.port,
                name="add_item",
                method="POST",
                url_template=server.url("/items/{item_id}"),
                parameters=[
                    CustomToolParameter(name="item_id", type="string"),
                    CustomToolParameter(name="qty", type="integer"),
                ],
                auth_header="",
            ),
        )
        schema = {"type": "object", "properties": {"name": {"type": "string"}}, "required": ["name"]}
        _create(
            actor,
            _form(
                port=server.port,
                name="create_pet",
                method="POST",
                url_template=server.url("/pets"),
                parameters=[],
                body_schema=schema,
                auth_header="",
            ),
        )
        fields = await call_tool("add_item", '{"item_id": "a/b", "qty": 3}', context=local_context())
        whole = await call_tool("create_pet", '{"body": {"name": "Rex"}}', context=local_context())
        invalid = await call_tool("create_pet", '{"body": {}}', context=local_context())
    assert fields.ok and whole.ok, (fields.error, whole.error)
    assert server.requests[0]["path"] == "/items/a%2Fb" and json.loads(server.requests[0]["body"]) == {"qty": 3}
    assert json.loads(server.requests[1]["body"]) == {"name": "Rex"}
    assert invalid.status == "error" and "body: 'name' is a required property" in invalid.error


async def test_guard_and_redirects(call_tool, actor: Actor) -> None:  # type: ignore[no-untyped-def]
    _create(actor, _form(name="metadata", url_template="http://169.254.169.254/latest/{item_id}"))
    blocked = await call_tool("metadata", '{"item_id": 1}', context=RunContext(net_allow=()))
    assert blocked.status == "denied" and "not allowed" in blocked.error
    with EchoServer({"/items/1": (302, "http://example.org/steal", b"")}) as server:
        _create(actor, _form(port=server.port, name="leaky"))
        leaky = await call_tool("leaky", '{"item_id": 1}', context=local_context())
    assert leaky.status == "denied" and "it may only call 127.0.0.1" in leaky.error
