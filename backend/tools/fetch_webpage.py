"""Built-in tool ``fetch_webpage``: a public web page as readable text.

The page is fetched with ``backend.security.outbound.fetch`` (the same network guard as
``http_request``: no loopback, private, link-local, CGNAT or metadata addresses, also behind DNS
names and redirects; at most 2 MB) and turned into text with the knowledge parser
(``backend.memory.parsing``, BeautifulSoup: scripts, styles and navigation dropped). Unlike
``http_request`` it is not limited to the agent's domain list: it only reads public pages.
"""

from __future__ import annotations

from typing import Any

import httpx

from backend.security.outbound import BlockedAddress, FetchTooLarge, fetch
from backend.tools.base import Tool, ToolContext, ToolDenied, ToolError, object_schema
from backend.tools.http_common import DEFAULT_TEXT_CHARS, MAX_TEXT_CHARS

MAX_PAGE_BYTES = 2_000_000
TIMEOUT_S = 8.0
_TEXT_TYPES = {"text/plain": "txt", "text/markdown": "md", "text/csv": "csv", "application/json": "txt"}


def page_text(data: bytes, content_type: str) -> tuple[str, str]:
    """``(title, text)`` of a fetched page.

    Raises:
        ToolError: an unsupported content type (images, PDFs, ...) or a page without text.
    """
    from backend.memory.parsing import ParseError, decode_text, parse_document

    try:
        if content_type in ("text/html", "application/xhtml+xml", ""):
            doc = parse_document(data, "html")
            return doc.title, "\n\n".join(s.text for s in doc.sections).strip()
        if content_type in _TEXT_TYPES:
            return "", decode_text(data).strip()
    except ParseError as exc:
        raise ToolError(f"The page could not be read: {exc}") from None
    raise ToolError(f"The page is {content_type}, not a web page or text; fetch_webpage only reads text.")


async def fetch_page(arguments: dict[str, Any], context: ToolContext) -> dict[str, Any]:
    """Fetch ``arguments["url"]`` and return ``{"url", "title", "text", "chars", "truncated"}``.

    ``url`` is the final address after redirects; ``chars`` the full text length before the cut
    at ``max_chars``.

    Raises:
        ToolDenied: a blocked address (literal, DNS or redirect) or a non-HTTP URL.
        ToolError: HTTP errors, too large, timeouts and unreadable content.
    """
    url = arguments["url"].strip()
    max_chars = arguments.get("max_chars", DEFAULT_TEXT_CHARS)
    try:
        page = await fetch(url, max_bytes=MAX_PAGE_BYTES, allow=context.network_rules(), timeout_s=TIMEOUT_S)
    except BlockedAddress as exc:
        raise ToolDenied(str(exc)) from None
    except FetchTooLarge as exc:
        raise ToolError(str(exc)) from None
    except httpx.HTTPStatusError as exc:
        raise ToolError(f"The page answered HTTP {exc.response.status_code}.") from None
    except httpx.UnsupportedProtocol:
        raise ToolDenied("Only http:// and https:// URLs can be fetched.") from None
    except httpx.TimeoutException:
        raise ToolError(f"The page did not load within {TIMEOUT_S:g} s.") from None
    except httpx.HTTPError as exc:
        raise ToolError(f"The page could not be fetched: {type(exc).__name__}.") from None
    title, text = page_text(page.data, page.content_type)
    return {
        "url": page.url,
        "title": title,
        "text": text[:max_chars],
        "chars": len(text),
        "truncated": len(text) > max_chars,
    }


TOOL = Tool(
    name="fetch_webpage",
    title="Fetch web page",
    description="Read a public web page and return its title and main text (long pages are cut).",
    parameters=object_schema(
        {
            "url": {"type": "string", "minLength": 8, "maxLength": 2000, "description": "Full http(s) URL."},
            "max_chars": {
                "type": "integer",
                "minimum": 100,
                "maximum": MAX_TEXT_CHARS,
                "default": DEFAULT_TEXT_CHARS,
                "description": "Longest text to return.",
            },
        },
        ["url"],
    ),
    handler=fetch_page,
    risk="external",
    summarize=lambda out: f"{out['chars']:,} characters from {out['url']}"[:300],
)
