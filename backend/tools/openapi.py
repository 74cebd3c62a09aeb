"""Import custom HTTP tools from an OpenAPI 3 document (JSON or YAML).

:func:`parse_openapi` lists the document's operations (``operationId``, method, path, summary,
parameters, JSON request-body schema) with local ``$ref``s resolved; problems are reported with
their place in the document, e.g. ``paths./pets.get.parameters[0]: missing 'name'``.
Operations the custom-tool model cannot express (array/object parameters, cookies, non-JSON
bodies) are listed with a ``problem`` and cannot be ticked. ``import_operations`` creates a
custom tool from each ticked operation in one transaction (``backend.tools.openapi_import``). Spec: https://spec.openapis.org/oas/v3.1.0
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, field
from typing import Any

import yaml

from backend.tools.custom import PARAM_TYPES
from backend.tools.openapi_refs import ExpansionTooLarge, RefResolver, expanded_size

MAX_DOCUMENT_CHARS = 2_000_000
MAX_LOADED_NODES = 1_000_000  # a 2 MB JSON text holds at most ~1M values; YAML aliases can hold billions
MAX_ERRORS = 50
HTTP_METHODS = ("get", "put", "post", "delete", "patch")
_LOCATIONS = ("path", "query", "header", "cookie")


class OpenAPIInvalid(ValueError):
    """The document is not a usable OpenAPI 3 document; ``errors`` are ``"place: problem"`` lines."""

    def __init__(self, errors: list[str]) -> None:
        super().__init__("; ".join(errors[:5]))
        self.errors = errors

    def __reduce__(self) -> tuple[type[OpenAPIInvalid], tuple[list[str]]]:
        """Pickle with the error list (the parse runs in a worker process)."""
        return (OpenAPIInvalid, (self.errors,))


@dataclass(frozen=True)
class ApiOperation:
    """One operation of the document.

    Attributes:
        operation_id: ``operationId`` (or ``<method>_<path>`` when missing).
        tool_name: The custom tool name it would get (``get_pet_by_id``).
        parameters: ``[{"name", "in", "required", "type", "description"}]``.
        body_schema: The JSON request body's schema (refs inlined), or None.
        problem: Why it cannot be imported, or None.
    """

    operation_id: str
    tool_name: str
    method: str
    path: str
    summary: str
    description: str
    parameters: list[dict[str, Any]] = field(default_factory=list)
    body_schema: dict[str, Any] | None = None
    body_required: bool = False
    problem: str | None = None


@dataclass(frozen=True)
class ApiDocument:
    """The document's ``title``, ``version``, first absolute server URL (or None) and operations."""

    title: str
    version: str
    base_url: str | None
    operations: list[ApiOperation]


def load_document(text: str) -> dict[str, Any]:
    """Parse JSON or YAML text into a mapping.

    Raises:
        OpenAPIInvalid: too large, not JSON/YAML (with line and column), nested too deeply,
            expanding to more than ``MAX_LOADED_NODES`` values through YAML aliases, or not a
            mapping.
    """
    if len(text) > MAX_DOCUMENT_CHARS:
        raise OpenAPIInvalid([f"document: larger than {MAX_DOCUMENT_CHARS:,} characters"])
    if not text.strip():
        raise OpenAPIInvalid(["document: empty"])
    try:
        if text.lstrip().startswith("{"):
            data = json.loads(text)
        else:
            data = yaml.safe_load(text)
    except json.JSONDecodeError as exc:
        raise OpenAPIInvalid([f"document: invalid JSON at line {exc.lineno}, column {exc.colno}: {exc.msg}"]) from None
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f" at line {mark.line + 1}, column {mark.column + 1}" if mark else ""
        problem = getattr(exc, "problem", None) or "not valid YAML"
        raise OpenAPIInvalid([f"document: invalid YAML{where}: {problem}"]) from None
    except RecursionError:
        raise OpenAPIInvalid(["document: nested too deeply"]) from None
    try:
        too_large = expanded_size(data, MAX_LOADED_NODES) > MAX_LOADED_NODES
    except RecursionError:
        raise OpenAPIInvalid(["document: nested too deeply"]) from None
    if too_large:
        raise OpenAPIInvalid(
            [
                f"This OpenAPI document expands to more than {MAX_LOADED_NODES:,} objects through YAML aliases, "
                "so it was refused; write it without anchors and aliases (*name), or as JSON."
            ]
        )
    if not isinstance(data, dict):
        raise OpenAPIInvalid(["document: expected a JSON/YAML object at the top level"])
    return data


def tool_name_for(operation_id: str) -> str:
    """``"getPetById"`` -> ``"get_pet_by_id"`` (a valid custom tool name, <= 64 characters)."""
    snake = re.sub(r"(?<=[a-z0-9])(?=[A-Z])", "_", operation_id)
    snake = re.sub(r"[^a-z0-9]+", "_", snake.lower()).strip("_")
    if not snake or not snake[0].isalpha():
        snake = f"op_{snake}"
    return snake[:64].rstrip("_")


def _base_url(doc: dict[str, Any], errors: list[str]) -> str | None:
    servers = doc.get("servers", [])
    if not isinstance(servers, list):
        errors.append("servers: expected a list")
        return None
    for i, server in enumerate(servers):
        if not isinstance(server, dict) or not isinstance(server.get("url"), str):
            errors.append(f"servers[{i}]: missing 'url'")
            continue
        url = server["url"]
        for name, var in (server.get("variables") or {}).items():
            if isinstance(var, dict) and "default" in var:
                url = url.replace("{" + str(name) + "}", str(var["default"]))
        if re.match(r"^https?://[^{}]+$", url):
            return url.rstrip("/")
    return None


def _parameter(raw: Any, where: str, refs: RefResolver, errors: list[str]) -> dict[str, Any] | None:
    param = refs.resolve(raw, where, errors)
    if not isinstance(param, dict):
        if param is not None:
            errors.append(f"{where}: expected an object")
        return None
    ok = True
    for key in ("name", "in"):
        if not isinstance(param.get(key), str) or not param[key]:
            errors.append(f"{where}: missing '{key}'")
            ok = False
    if not ok:
        return None
    if param["in"] not in _LOCATIONS:
        errors.append(f"{where}.in: must be one of path, query, header, cookie (got {param['in']!r})")
        return None
    if param["in"] == "path" and param.get("required") is not True:
        errors.append(f"{where}: path parameter {param['name']!r} must have 'required: true'")
    schema = refs.resolve(param.get("schema", {}), f"{where}.schema", errors)
    kind = schema.get("type", "string") if isinstance(schema, dict) else "string"
    if isinstance(kind, list):  # OpenAPI 3.1: ["string", "null"]
        kind = next((k for k in kind if k != "null"), "string")
    return {
        "name": param["name"],
        "in": param["in"],
        "required": bool(param.get("required", False)),
        "type": kind,
        "description": str(param.get("description", ""))[:500],
    }


def _request_body(raw: Any, where: str, refs: RefResolver, errors: list[str]) -> tuple[Any, bool, str | None]:
    """``(json schema or None, required, problem)``."""
    body = refs.resolve(raw, where, errors)
    if not isinstance(body, dict):
        return None, False, None
    content = body.get("content")
    if not isinstance(content, dict) or not content:
        errors.append(f"{where}: missing 'content'")
        return None, False, None
    required = bool(body.get("required", False))
    for media, item in content.items():
        if media == "application/json" or str(media).endswith("+json"):
            schema = item.get("schema", {}) if isinstance(item, dict) else {}
            return refs.inline(schema, f"{where}.content.{media}.schema", errors), required, None
    return None, required, ("request bodies other than JSON are not supported" if required else None)


def _operation(
    path: str, method: str, op: dict[str, Any], shared: list[Any], refs: RefResolver, errors: list[str]
) -> ApiOperation:
    where = f"paths.{path}.{method}"
    params: dict[tuple[str, str], dict[str, Any]] = {}
    for origin, items in ((f"paths.{path}.parameters", shared), (f"{where}.parameters", op.get("parameters", []))):
        if not isinstance(items, list):
            errors.append(f"{origin}: expected a list")
            continue
        for i, raw in enumerate(items):
            p = _parameter(raw, f"{origin}[{i}]", refs, errors)
            if p is not None:
                params[(p["name"], p["in"])] = p  # operation-level overrides path-level
    body_schema, body_required, problem = None, False, None
    if "requestBody" in op:
        body_schema, body_required, problem = _request_body(op["requestBody"], f"{where}.requestBody", refs, errors)
    for p in params.values():
        if p["in"] == "cookie" and p["required"]:
            problem = problem or f"cookie parameter {p['name']!r} is not supported"
        elif p["type"] not in PARAM_TYPES and p["in"] != "cookie":
            problem = problem or f"parameter {p['name']!r} of type {p['type']} is not supported"
    for name in re.findall(r"\{([^{}]+)\}", path):
        if (name, "path") not in params:
            errors.append(f"{where}: path parameter {name!r} is not declared")
    operation_id = op.get("operationId") or f"{method}_{path}"
    return ApiOperation(
        operation_id=str(operation_id),
        tool_name=tool_name_for(str(operation_id)),
        method=method.upper(),
        path=path,
        summary=str(op.get("summary", ""))[:300],
        description=str(op.get("description", ""))[:1000],
        parameters=[p for p in params.values() if p["in"] != "cookie"],
        body_schema=body_schema if isinstance(body_schema, dict) else None,
        body_required=body_required,
        problem=problem,
    )


def parse_openapi(text: str) -> ApiDocument:
    """Parse an OpenAPI 3.0/3.1 document and list its operations.

    Raises:
        OpenAPIInvalid: with every structural problem found (at most 50), each ``"place: problem"``;
            or one sentence when the document expands beyond the budgets of ``openapi_refs``.
    """
    try:
        return _parse(text)
    except ExpansionTooLarge as exc:
        raise OpenAPIInvalid([str(exc)]) from None


def _parse(text: str) -> ApiDocument:
    doc = load_document(text)
    errors: list[str] = []
    version = doc.get("openapi")
    if "swagger" in doc:
        raise OpenAPIInvalid(["swagger: Swagger 2.0 is not supported; convert the document to OpenAPI 3"])
    if not isinstance(version, str) or not version.startswith("3."):
        raise OpenAPIInvalid([f"openapi: expected a version like '3.0.3' or '3.1.0', got {version!r}"])
    info = doc.get("info")
    if not isinstance(info, dict) or not isinstance(info.get("title"), str):
        errors.append("info: missing 'title'")
        info = info if isinstance(info, dict) else {}
    paths = doc.get("paths")
    if not isinstance(paths, dict) or not paths:
        raise OpenAPIInvalid([*errors, "paths: the document has no operations"])
    refs = RefResolver(doc)
    base_url = _base_url(doc, errors)
    operations: list[ApiOperation] = []
    seen: set[str] = set()
    for path, item in paths.items():
        if not isinstance(path, str) or not path.startswith("/"):
            errors.append(f"paths.{path}: paths must start with '/'")
            continue
        item = refs.resolve(item, f"paths.{path}", errors)
        if not isinstance(item, dict):
            errors.append(f"paths.{path}: expected an object")
            continue
        for method in HTTP_METHODS:
            if method not in item:
                continue
            if not isinstance(item[method], dict):
                errors.append(f"paths.{path}.{method}: expected an object")
                continue
            op = _operation(path, method, item[method], item.get("parameters", []), refs, errors)
            if op.operation_id in seen:
                errors.append(f"paths.{path}.{method}.operationId: duplicate {op.operation_id!r}")
            seen.add(op.operation_id)
            operations.append(op)
    if errors:
        raise OpenAPIInvalid(errors[:MAX_ERRORS])
    return ApiDocument(str(info.get("title", "")), str(info.get("version", "")), base_url, operations)
