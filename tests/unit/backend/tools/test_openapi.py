"""OpenAPI 3 import: listing operations, precise errors for bad documents, creating tools."""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

import pytest
import yaml

from backend.accounts.actor import Actor
from backend.db import session_scope
from backend.tools.base import InvalidInput
from backend.tools.openapi import OpenAPIInvalid, parse_openapi, tool_name_for
from backend.tools.openapi_import import import_operations
from tests.support.echo_server import EchoServer

from .conftest import local_context

PETSTORE = """
openapi: 3.0.3
info: {title: Petstore, version: "1.0"}
servers:
  - url: "{scheme}://api.example.com/v1"
    variables: {scheme: {default: https}}
paths:
  /pets:
    get:
      operationId: listPets
      summary: List all pets
      parameters:
        - {name: limit, in: query, description: How many, schema: {type: integer, maximum: 100}}
        - {name: tags, in: query, schema: {type: array, items: {type: string}}}
    post:
      operationId: createPet
      summary: Create a pet
      requestBody:
        required: true
        content:
          application/json:
            schema: {$ref: "#/components/schemas/NewPet"}
  /pets/{petId}:
    parameters:
      - $ref: "#/components/parameters/PetId"
    get:
      operationId: showPetById
      summary: Info for a specific pet
      parameters:
        - {name: X-Request-Id, in: header, schema: {type: string}}
        - {name: session, in: cookie, schema: {type: string}}
    delete:
      summary: Delete a pet
components:
  parameters:
    PetId: {name: petId, in: path, required: true, description: The pet's id, schema: {type: string}}
  schemas:
    NewPet:
      type: object
      required: [name]
      properties:
        name: {type: string}
        owner: {$ref: "#/components/schemas/Owner"}
    Owner:
      type: object
      properties: {email: {type: string}}
"""


def test_lists_operations_with_refs_resolved() -> None:
    doc = parse_openapi(PETSTORE)
    assert (doc.title, doc.version, doc.base_url) == ("Petstore", "1.0", "https://api.example.com/v1")
    ops = {op.operation_id: op for op in doc.operations}
    assert list(ops) == ["listPets", "createPet", "showPetById", "delete_/pets/{petId}"]
    assert ops["listPets"].problem == "parameter 'tags' of type array is not supported"
    assert ops["createPet"].problem is None and ops["createPet"].body_required
    assert ops["createPet"].body_schema == {
        "type": "object",
        "required": ["name"],
        "properties": {
            "name": {"type": "string"},
            "owner": {"type": "object", "properties": {"email": {"type": "string"}}},
        },
    }
    show = ops["showPetById"]
    assert show.tool_name == "show_pet_by_id" and show.method == "GET" and show.problem is None
    assert [(p["name"], p["in"], p["required"]) for p in show.parameters] == [
        ("petId", "path", True),
        ("X-Request-Id", "header", False),
    ]
    assert ops["delete_/pets/{petId}"].tool_name == "delete_pets_pet_id"


def test_json_documents_too() -> None:
    as_json = json.dumps(yaml.safe_load(PETSTORE))
    assert [op.operation_id for op in parse_openapi(as_json).operations][:2] == ["listPets", "createPet"]


def test_tool_names() -> None:
    assert tool_name_for("getPetById") == "get_pet_by_id"
    assert tool_name_for("HTTPStatus-Check") == "httpstatus_check"
    assert tool_name_for("123go") == "op_123go"
    assert len(tool_name_for("x" * 100)) == 64


def _broken(mutate: Callable[[dict[str, Any]], object]) -> str:
    """The good document with one small edit."""
    doc = yaml.safe_load(PETSTORE)
    mutate(doc)
    return json.dumps(doc)


def _pets(doc: dict[str, Any]) -> dict[str, Any]:
    return doc["paths"]["/pets"]


def _components(doc: dict[str, Any]) -> dict[str, Any]:
    return doc["components"]


TOYS = {"get": {"operationId": "toys", "parameters": [{"$ref": "#/components/parameters/PetId"}]}}


@pytest.mark.parametrize(
    ("document", "expected"),
    [
        ("", "document: empty"),
        ("openapi: 3.0.0\ninfo: [unclosed", "document: invalid YAML at line 2"),
        ('{"openapi": "3.0.0", "paths": {', "document: invalid JSON at line 1"),
        ("- just\n- a list", "expected a JSON/YAML object"),
        ('{"swagger": "2.0", "paths": {}}', "Swagger 2.0 is not supported"),
        ('{"info": {"title": "x"}, "paths": {}}', "openapi: expected a version like '3.0.3'"),
        ('{"openapi": "3.1.0", "info": {"title": "x"}}', "paths: the document has no operations"),
        (
            _broken(lambda d: _pets(d)["get"]["parameters"][0].pop("name")),
            "paths./pets.get.parameters[0]: missing 'name'",
        ),
        (
            _broken(lambda d: _pets(d)["get"]["parameters"][1].update({"in": "body"})),
            "paths./pets.get.parameters[1].in: must be one of",
        ),
        (
            _broken(lambda d: _components(d)["parameters"]["PetId"].update({"required": False})),
            "paths./pets/{petId}.parameters[0]: path parameter 'petId' must have 'required: true'",
        ),
        (
            _broken(
                lambda d: d["paths"]["/pets/{petId}"]["parameters"][0].update({"$ref": "#/components/parameters/No"})
            ),
            "paths./pets/{petId}.parameters[0].$ref: '#/components/parameters/No' not found",
        ),
        (
            _broken(
                lambda d: _pets(d)["post"]["requestBody"]["content"]["application/json"].update(
                    {"schema": {"$ref": "other.yaml#/Pet"}}
                )
            ),
            "only references inside the document",
        ),
        (
            _broken(lambda d: d["paths"].update({"pets": d["paths"].pop("/pets")})),
            "paths.pets: paths must start with '/'",
        ),
        (
            _broken(lambda d: d["paths"].update({"/pets/{petId}/toys/{toyId}": TOYS})),
            "paths./pets/{petId}/toys/{toyId}.get: path parameter 'toyId' is not declared",
        ),
        (
            _broken(lambda d: _pets(d)["post"].update({"operationId": "listPets"})),
            "paths./pets.post.operationId: duplicate 'listPets'",
        ),
        (
            _broken(
                lambda d: _components(d)["schemas"]["Owner"]["properties"].update(
                    {"pet": {"$ref": "#/components/schemas/NewPet"}}
                )
            ),
            "recursive schema '#/components/schemas/NewPet'",
        ),
        (_broken(lambda d: _pets(d).update({"get": "list them"})), "paths./pets.get: expected an object"),
        (
            _broken(lambda d: _pets(d)["post"].update({"requestBody": {"required": True}})),
            "paths./pets.post.requestBody: missing 'content'",
        ),
    ],
)
def test_invalid_documents_get_precise_errors(document: str, expected: str) -> None:
    with pytest.raises(OpenAPIInvalid) as info:
        parse_openapi(document)
    assert any(expected in e for e in info.value.errors), info.value.errors


def test_every_problem_is_reported_at_once() -> None:
    def two_problems(d: dict[str, Any]) -> None:
        _pets(d)["get"]["parameters"][0].pop("name")
        _pets(d)["get"]["parameters"][1]["in"] = "x"

    doc = _broken(two_problems)
    with pytest.raises(OpenAPIInvalid) as info:
        parse_openapi(doc)
    assert len(info.value.errors) == 2


def test_import_creates_tools_and_reports_field_errors(actor: Actor) -> None:
    with session_scope() as s:
        tools = import_operations(
            actor=actor,
            document=PETSTORE,
            operation_ids=["createPet", "showPetById"],
            auth_header="Authorization",
            auth_secret="Bearer pet-token-123456",
            session=s,
        )
    assert [t.name for t in tools] == ["create_pet", "show_pet_by_id"]
    assert tools[1].url_template == "https://api.example.com/v1/pets/{petId}" and tools[0].method == "POST"
    assert tools[0].body_schema is not None and all(t.has_secret for t in tools)
    with session_scope() as s, pytest.raises(InvalidInput) as info:
        import_operations(actor=actor, document=PETSTORE, operation_ids=["listPets", "nope"], session=s)
    assert info.value.errors["listPets"].startswith("Cannot import: parameter 'tags'")
    assert "nope" in info.value.errors["operations"]
    with session_scope() as s, pytest.raises(InvalidInput) as info:
        import_operations(actor=actor, document=PETSTORE, operation_ids=["createPet"], session=s)
    assert "already has a tool named 'create_pet'" in info.value.errors["createPet.name"]


async def test_imported_tool_calls_the_api(call_tool, actor: Actor) -> None:  # type: ignore[no-untyped-def]
    no_server = PETSTORE.replace(
        '  - url: "{scheme}://api.example.com/v1"\n    variables: {scheme: {default: https}}\n', "  - url: /v1\n"
    )
    with session_scope() as s, pytest.raises(InvalidInput) as info:
        import_operations(actor=actor, document=no_server, operation_ids=["showPetById"], session=s)
    assert "base URL" in info.value.errors["base_url"]
    with EchoServer() as server:
        with session_scope() as s:
            import_operations(
                actor=actor, document=no_server, operation_ids=["showPetById"], base_url=server.url("/v1"), session=s
            )
        result = await call_tool("show_pet_by_id", '{"petId": "rex", "X-Request-Id": "r1"}', context=local_context())
    assert result.ok, result.error
    assert server.requests[0]["path"] == "/v1/pets/rex" and server.requests[0]["headers"]["X-Request-Id"] == "r1"
