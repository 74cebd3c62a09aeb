"""Shared HTTP plumbing of the web tools (``http_request``, ``fetch_webpage``, custom HTTP tools).

Every request goes through ``backend.security.outbound.guarded_client`` (loopback, private,
link-local, CGNAT and metadata addresses are refused, also behind DNS names and redirects), with
an extra per-request host check (the agent's domain list, or a custom tool's own host) that also
runs for every redirect. Bodies are read as a stream and cut at ``max_bytes``.
"""

from __future__ import annotations

import ipaddress
import json
import re
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import httpx

from backend.security.outbound import AllowRule, BlockedAddress, guarded_client
from backend.tools.base import ToolDenied, ToolError

PLACEHOLDER_RE = re.compile(r"\{([^{}]*)\}")
"""A ``{name}`` placeholder in a custom HTTP tool's URL template."""


MAX_RESPONSE_BYTES = 1_000_000
DEFAULT_TEXT_CHARS = 8000
MAX_TEXT_CHARS = 20000
USER_AGENT = "AgentHub/0.1 (agent tool)"
_FORBIDDEN_HEADERS = frozenset(
    {
        "host",
        "content-length",
        "transfer-encoding",
        "connection",
        "upgrade",
        "te",
        "trailer",
        "keep-alive",
        "proxy-authorization",
        "proxy-connection",
    }
)
_HOST_RE = re.compile(r"^(\*\.)?([a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?)(\.[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?)*$")
_TEXT_TYPES = ("text/", "application/json", "application/xml", "application/xhtml+xml", "application/javascript")


@dataclass(frozen=True)
class HttpResult:
    """A response: ``status`` code, final ``url``, ``content_type`` (lower case, no params),
    ``body`` (at most ``max_bytes``), ``truncated`` when cut, ``elapsed_ms`` milliseconds."""

    status: int
    url: str
    content_type: str
    charset: str | None
    body: bytes
    truncated: bool
    elapsed_ms: int


def normalize_domain(entry: str) -> str:
    """Canonical form of a domain-list entry: lower case, no scheme/path/port; ``*.`` prefix kept.

    Raises:
        ValueError: not a host name, ``*.``-wildcard or IP address.
    """
    text = entry.strip().lower().rstrip(".")
    try:
        return str(ipaddress.ip_address(text.strip("[]")))
    except ValueError:
        pass
    if not text or len(text) > 253 or not _HOST_RE.match(text):
        raise ValueError(f"{entry!r} is not a domain name (write it like example.com or *.example.com).")
    return text


def host_allowed(host: str, domains: Sequence[str]) -> bool:
    """True if ``host`` is on the list: an exact entry, or a subdomain of a ``*.`` entry."""
    host = host.lower().rstrip(".").strip("[]")
    for raw in domains:
        entry = raw.strip().lower().rstrip(".").strip("[]")
        if entry.startswith("*."):
            if host.endswith(entry[1:]) and host != entry[2:]:
                return True
        elif entry and host == entry:
            return True
    return False


def clean_headers(headers: Mapping[str, Any] | None) -> dict[str, str]:
    """Headers the model (or a tool definition) may set: no hop-by-hop, Host or length headers.

    Raises:
        ToolError: more than 20 headers, or a name/value that is not a valid header.
    """
    out: dict[str, str] = {}
    for name, value in (headers or {}).items():
        text = str(value)
        if (
            not re.fullmatch(r"[A-Za-z0-9!#$%&'*+.^_`|~-]{1,100}", name)
            or len(text) > 2000
            or re.search(r"[\r\n]", text)
        ):
            raise ToolError(f"Invalid header {name!r}.")
        if name.lower() not in _FORBIDDEN_HEADERS:
            out[name] = text
    if len(out) > 20:
        raise ToolError("At most 20 headers.")
    return out


async def send(
    method: str,
    url: str,
    *,
    rules: Sequence[AllowRule],
    check_host: Callable[[str], None],
    headers: Mapping[str, str] | None = None,
    params: Mapping[str, Any] | None = None,
    json_body: Any = None,
    content: str | None = None,
    max_bytes: int = MAX_RESPONSE_BYTES,
    timeout_s: float = 10.0,
) -> HttpResult:
    """Make one guarded request (redirects followed, each checked by ``check_host`` and the guard).

    Args:
        check_host: Called with each request's host; raises :class:`ToolDenied` to refuse it.
        max_bytes: Bytes of body kept; the rest is dropped and ``truncated`` set.
        timeout_s: Connect/read/write timeout, seconds.

    Raises:
        ToolDenied: blocked address (literal, DNS or redirect) or host refused by ``check_host``.
        ToolError: bad URL, network error, timeout, too many redirects.
    """

    async def host_hook(request: httpx.Request) -> None:
        check_host(request.url.host)

    started = time.monotonic()
    try:
        if params:  # merged with the URL's own query (httpx's ``params=`` would replace it)
            url = str(httpx.URL(url).copy_merge_params({k: str(v) for k, v in params.items()}))
        async with guarded_client(allow=rules, timeout_s=timeout_s) as client:
            hooks = client.event_hooks
            hooks["request"].append(host_hook)
            client.event_hooks = hooks
            request_headers = {"User-Agent": USER_AGENT, **(headers or {})}
            async with client.stream(method, url, headers=request_headers, json=json_body, content=content) as response:
                body, truncated = bytearray(), False
                async for piece in response.aiter_bytes():
                    body.extend(piece)
                    if len(body) > max_bytes:
                        del body[max_bytes:]
                        truncated = True
                        break
                content_type = response.headers.get("content-type", "")
                return HttpResult(
                    status=response.status_code,
                    url=str(response.url),
                    content_type=content_type.split(";", 1)[0].strip().lower(),
                    charset=response.charset_encoding,
                    body=bytes(body),
                    truncated=truncated,
                    elapsed_ms=int((time.monotonic() - started) * 1000),
                )
    except BlockedAddress as exc:
        raise ToolDenied(str(exc)) from None
    except httpx.TooManyRedirects:
        raise ToolError("Too many redirects.") from None
    except httpx.TimeoutException:
        raise ToolError(f"The server did not answer within {timeout_s:g} s.") from None
    except httpx.InvalidURL as exc:
        raise ToolError(f"Invalid URL: {exc}.") from None
    except httpx.UnsupportedProtocol:
        raise ToolDenied("Only http:// and https:// URLs can be requested.") from None
    except httpx.HTTPError as exc:
        raise ToolError(f"The request failed: {type(exc).__name__}.") from None


def is_text(content_type: str) -> bool:
    """True for content types whose body the model can read as text."""
    return not content_type or content_type.startswith(_TEXT_TYPES) or content_type.endswith(("+json", "+xml"))


def body_for_model(result: HttpResult, max_chars: int = DEFAULT_TEXT_CHARS) -> dict[str, Any]:
    """The body as the model sees it: ``{"json": ...}`` for complete JSON, else ``{"text": ...}``
    cut to ``max_chars`` (``"truncated": true`` when cut), or a note for binary content."""
    if not is_text(result.content_type):
        return {"body_note": f"Binary content ({result.content_type}, {len(result.body):,} bytes) not shown."}
    try:
        text = result.body.decode(result.charset or "utf-8", errors="replace")
    except LookupError:  # an unknown charset name from the server
        text = result.body.decode("utf-8", errors="replace")
    if "json" in result.content_type and not result.truncated and len(text) <= max_chars:
        try:
            return {"json": json.loads(text)}
        except ValueError:
            pass
    out: dict[str, Any] = {"text": text[:max_chars]}
    if result.truncated or len(text) > max_chars:
        out["truncated"] = True
    return out
