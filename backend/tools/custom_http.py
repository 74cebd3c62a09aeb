"""Calling custom HTTP tools: a stored ``CustomTool`` row as a registry :class:`Tool`.

Arguments fill the URL template's ``{placeholders}`` (percent-encoded), the query string,
headers and a JSON body. The auth header's value is decrypted in memory for the request only.
Requests go through the network guard, and redirects may not leave the template's host (so the
auth value never reaches another server).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any
from urllib.parse import quote, urlsplit

from jsonschema.exceptions import SchemaError
from sqlmodel import Session, col, select

from backend.db import session_scope
from backend.models.tools import CustomTool
from backend.security.keys import get_vault
from backend.security.vault import record_ad
from backend.tools import http_common
from backend.tools.base import Tool, ToolContext, ToolDenied, object_schema
from backend.tools.http_common import PLACEHOLDER_RE

TIMEOUT_S = 8.0


def parameters_schema(parameters: Sequence[dict[str, Any]], body_schema: dict[str, Any] | None) -> dict[str, Any]:
    """The JSON schema of a custom tool's arguments (one property per parameter, plus ``body``)."""
    properties: dict[str, Any] = {}
    required: list[str] = []
    for p in parameters:
        prop: dict[str, Any] = {"type": p["type"]}
        if p.get("description"):
            prop["description"] = p["description"]
        properties[p["name"]] = prop
        if p.get("required"):
            required.append(p["name"])
    if body_schema is not None:
        properties["body"] = {**body_schema}
        properties["body"].setdefault("description", "The JSON request body.")
        required.append("body")
    return object_schema(properties, required)


def _text(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)


def build_request(row: CustomTool, arguments: dict[str, Any]) -> tuple[str, dict[str, str], dict[str, str], Any]:
    """``(url, query, headers, json body or None)`` for validated ``arguments``."""
    by_name = {p["name"]: p for p in row.parameters}

    def fill(match: Any) -> str:
        return quote(_text(arguments[match.group(1)]), safe="")

    url = PLACEHOLDER_RE.sub(fill, row.url_template)
    query: dict[str, str] = {}
    headers: dict[str, str] = {}
    body: dict[str, Any] = {}
    for name, value in arguments.items():
        location = by_name[name]["location"] if name in by_name else None
        if location == "query":
            query[name] = _text(value)
        elif location == "header":
            headers[name] = _text(value)
        elif location == "body":
            body[name] = value
    json_body: Any = arguments.get("body") if row.body_schema is not None else (body or None)
    return url, query, headers, json_body


def _auth_value(row: CustomTool) -> str | None:
    if not row.auth_header or not row.secret:
        return None
    return get_vault().decrypt(row.secret, associated_data=record_ad(row.workspace_id, row.id))


def as_tool(row: CustomTool) -> Tool:
    """The registry tool for a custom tool row (risk ``external``, version = the row's version)."""
    host = (urlsplit(PLACEHOLDER_RE.sub("x", row.url_template)).hostname or "").lower()

    def same_host(request_host: str) -> None:
        if request_host.lower().strip("[]") != host.strip("[]"):
            raise ToolDenied(f"The tool redirected to {request_host}; it may only call {host}.")

    async def handler(arguments: dict[str, Any], context: ToolContext) -> dict[str, Any]:
        if context.actor.workspace_id != row.workspace_id:
            raise ToolDenied("This tool belongs to another workspace.")
        url, query, headers, json_body = build_request(row, arguments)
        headers = http_common.clean_headers(headers)
        auth = _auth_value(row)
        if auth is not None:
            headers[row.auth_header] = auth
        result = await http_common.send(
            row.method,
            url,
            rules=context.network_rules(),
            check_host=same_host,
            headers=headers,
            params=query or None,
            json_body=json_body,
            timeout_s=TIMEOUT_S,
        )
        out: dict[str, Any] = {"status": result.status, "content_type": result.content_type}
        out.update(http_common.body_for_model(result))
        if result.status >= 400:
            out["note"] = f"The API answered HTTP {result.status}."
        return out

    return Tool(
        name=row.name,
        title=row.name,
        description=row.description,
        parameters=parameters_schema(row.parameters, row.body_schema),
        handler=handler,
        risk="external",
        version=str(row.version),
        source="custom",
        summarize=lambda out: f"HTTP {out['status']} from {host}",
    )


def load_custom_tools(
    workspace_id: str, names: Sequence[str] | None = None, *, session: Session | None = None
) -> list[Tool]:
    """The workspace's custom tools as registry tools (only ``names`` when given), by name.

    A row whose stored definition no longer builds a valid tool is skipped. Opens its own
    session unless ``session`` is given.
    """

    def load(s: Session) -> list[Tool]:
        query = select(CustomTool).where(CustomTool.workspace_id == workspace_id)
        if names is not None:
            if not names:
                return []
            query = query.where(col(CustomTool.name).in_(list(names)))
        tools = []
        for row in s.exec(query.order_by(col(CustomTool.name))).all():
            try:
                tools.append(as_tool(row))
            except (ValueError, SchemaError):
                continue
        return tools

    if session is not None:
        return load(session)
    with session_scope() as own:
        return load(own)
