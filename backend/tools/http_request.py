"""Built-in tool ``http_request``: GET or POST to a host on the agent's domain list.

The agent's builder lists the hosts (``RunContext.allowed_domains``); an empty list allows
nothing. Each request and each redirect is checked against that list and the network guard
(``backend.security.outbound``: no loopback, private, link-local, CGNAT or metadata addresses,
unless the operator allows a range). Responses are cut at 1 MB read and 8,000-20,000
characters shown; network timeouts are 8 s and the whole call is capped by the tool's timeout (10 s).
"""

from __future__ import annotations

from typing import Any
from urllib.parse import urlsplit

from backend.tools import http_common
from backend.tools.base import Tool, ToolContext, ToolDenied, ToolError, object_schema

TIMEOUT_S = 8.0  # network timeout; the tool's own limit is the default 10 s


def _domain_checker(domains: tuple[str, ...]) -> Any:
    def check(host: str) -> None:
        if not http_common.host_allowed(host, domains):
            listed = ", ".join(domains) if domains else "none"
            raise ToolDenied(f"{host} is not on this agent's list of allowed domains (allowed: {listed}).")

    return check


async def request(arguments: dict[str, Any], context: ToolContext) -> dict[str, Any]:
    """Make the request described by ``arguments`` (see the tool's parameters).

    Returns:
        ``{"status", "url", "content_type", "elapsed_ms", "json" | "text" [+ "truncated"] | "body_note"}``.

    Raises:
        ToolDenied: host not on the agent's list, or a blocked address (also via DNS or redirect).
        ToolError: malformed URL, network error or timeout.
    """
    url = arguments["url"].strip()
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise ToolError("The URL must start with http:// or https:// and name a host.")
    check = _domain_checker(context.run.allowed_domains)
    check(parts.hostname)
    method = arguments.get("method", "GET").upper()
    body, json_body = arguments.get("body"), arguments.get("json")
    if body is not None and json_body is not None:
        raise ToolError("Send either 'json' or 'body', not both.")
    if method == "GET" and (body is not None or json_body is not None):
        raise ToolError("A GET request has no body; use method POST to send one.")
    result = await http_common.send(
        method,
        url,
        rules=context.network_rules(),
        check_host=check,
        headers=http_common.clean_headers(arguments.get("headers")),
        params=arguments.get("query"),
        json_body=json_body,
        content=body,
        timeout_s=TIMEOUT_S,
    )
    out: dict[str, Any] = {
        "status": result.status,
        "url": result.url,
        "content_type": result.content_type,
        "elapsed_ms": result.elapsed_ms,
    }
    out.update(http_common.body_for_model(result, arguments.get("max_chars", http_common.DEFAULT_TEXT_CHARS)))
    return out


TOOL = Tool(
    name="http_request",
    title="HTTP request",
    description=(
        "Call a web API with GET or POST. Only hosts on this agent's list of allowed domains can be "
        "reached. Returns the status code and the body (JSON or text, cut when long)."
    ),
    parameters=object_schema(
        {
            "url": {"type": "string", "minLength": 8, "maxLength": 2000, "description": "Full http(s) URL."},
            "method": {"type": "string", "enum": ["GET", "POST"], "default": "GET"},
            "headers": {
                "type": "object",
                "additionalProperties": {"type": "string", "maxLength": 2000},
                "maxProperties": 20,
                "description": "Extra request headers.",
            },
            "query": {
                "type": "object",
                "additionalProperties": {"type": "string", "maxLength": 2000},
                "maxProperties": 50,
                "description": "Query-string parameters.",
            },
            "json": {"type": "object", "description": "POST body sent as JSON."},
            "body": {"type": "string", "maxLength": 100000, "description": "POST body sent as text."},
            "max_chars": {
                "type": "integer",
                "minimum": 100,
                "maximum": http_common.MAX_TEXT_CHARS,
                "default": http_common.DEFAULT_TEXT_CHARS,
                "description": "Longest body text to return.",
            },
        },
        ["url"],
    ),
    handler=request,
    risk="external",
    summarize=lambda out: f"HTTP {out['status']} from {out['url']}"[:300],
)
