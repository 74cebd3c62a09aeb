"""The one place that imports LiteLLM, plus the translation of its errors into plain words.

``LITELLM_LOCAL_MODEL_COST_MAP=True`` must be set before the import, otherwise LiteLLM
tries to download its price map at import time (~8 s of retries without internet).
Every other module does ``from backend.gateway.llm import litellm``.

LiteLLM's exception classes are not enough to classify failures: with its default aiohttp
transport a refused connection or a DNS failure surfaces as ``InternalServerError`` (500,
"Connection error.") and a stalled stream as ``MidStreamFallbackError``. The real cause
(``ConnectionRefusedError``, ``socket.gaierror``, ``TimeoutError``, ``httpx.TimeoutException``)
is kept in the ``__cause__``/``__context__``/``original_exception`` chain, which
``to_gateway_error`` walks.

No foreign body is echoed: an error message quotes only the provider's own JSON error field
(``{"error": {"message": ...}}``, ``{"error": "..."}`` or ``{"message": ...}``, one line, at
most 200 characters), else the HTTP status and its standard phrase; LiteLLM's own texts, which
may embed the raw response, are never shown. A refused, closed, unresolvable or policy-blocked
address all read "Could not reach <host>: the address is not allowed or not answering." (no
port-scan oracle; see ``backend.gateway.endpoints``).
"""

from __future__ import annotations

import json
import os
import re
import socket
from collections.abc import Iterator
from http import HTTPStatus
from typing import Literal
from urllib.parse import urlparse

import httpcore
import httpx

os.environ.setdefault("LITELLM_LOCAL_MODEL_COST_MAP", "True")

import litellm  # noqa: E402

from backend.security.outbound import BlockedAddress  # noqa: E402
from backend.security.redact import redact_secrets  # noqa: E402

litellm.suppress_debug_info = True

UNREACHABLE = "Could not reach {host}: the address is not allowed or not answering."
"""The one message for a refused-by-policy, closed, unresolvable or unanswering address."""

ErrorKind = Literal["auth", "rate_limit", "timeout", "unreachable", "bad_request", "provider", "budget"]

__all__ = [
    "UNREACHABLE",
    "ErrorKind",
    "GatewayError",
    "error_field",
    "error_for_status",
    "host_of",
    "litellm",
    "provider_detail",
    "provider_message",
    "scrub",
    "status_phrase",
    "to_gateway_error",
]


class GatewayError(Exception):
    """A failed provider call, explained in plain words with secrets removed.

    Args:
        kind: ``"auth"`` (401/403), ``"rate_limit"`` (429), ``"timeout"``, ``"unreachable"``
            (DNS, refused or failed connection), ``"bad_request"`` (400/404/422: wrong model,
            context too long, gateway size caps), ``"provider"`` (5xx and anything else) or
            ``"budget"`` (a gateway budget is used up). The gateway's own rate limits are
            ``"rate_limit"`` too, with ``status_code`` None.
        message: One or two sentences for the user; never contains the API key.
        status_code: HTTP status from the provider, if there was a response.
        retry_after_s: Seconds the provider asked us to wait (``Retry-After`` on 429), if any.
    """

    def __init__(
        self,
        kind: ErrorKind,
        message: str,
        status_code: int | None = None,
        retry_after_s: float | None = None,
    ) -> None:
        super().__init__(message)
        self.kind: ErrorKind = kind
        self.message = message
        self.status_code = status_code
        self.retry_after_s = retry_after_s

    def __repr__(self) -> str:
        return f"GatewayError(kind={self.kind!r}, message={self.message!r}, status_code={self.status_code!r})"


def scrub(text: str, secret: str | None) -> str:
    """Remove the exact ``secret`` and anything key-like (``sk-...``, ``Bearer ...``) from text.

    Args:
        text: Free text, e.g. a provider error message.
        secret: The API key used for the call, or ``None``.

    Returns:
        The text with secrets replaced by ``[redacted]``.
    """
    if secret:
        text = text.replace(secret, "[redacted]")
    return redact_secrets(text)


def _chain(exc: BaseException) -> Iterator[BaseException]:
    seen: set[int] = set()
    todo: list[BaseException] = [exc]
    while todo:
        cur = todo.pop(0)
        if id(cur) in seen:
            continue
        seen.add(id(cur))
        yield cur
        for attr in ("original_exception", "__cause__", "__context__"):
            nxt = getattr(cur, attr, None)
            if isinstance(nxt, BaseException):
                todo.append(nxt)


_PREFIX = re.compile(r"^(?:litellm\.\w+:\s*)*(?:\w+Error:\s*)?(?:\w+Exception\s*-\s*)?")


def provider_message(exc: BaseException) -> str:
    """LiteLLM's text of an exception without its class prefixes (may embed a raw response: logs only)."""
    text = str(getattr(exc, "message", None) or exc)
    text = _PREFIX.sub("", text).strip()
    return text.split("\n", 1)[0][:300] or type(exc).__name__


def error_field(body: object) -> str | None:
    """The provider's error message from a JSON error body (bytes, text or decoded), if it has one.

    Accepted shapes: ``{"error": {"message": str}}`` (OpenAI, Anthropic, Gemini),
    ``{"error": str}`` (Ollama), ``{"message": str}`` (Mistral, vLLM). One line, <= 200 characters.
    """
    if isinstance(body, (bytes, str)):
        text = body.decode("utf-8", "replace") if isinstance(body, bytes) else body
        try:
            body = json.loads(text)
        except ValueError:
            return None
    if not isinstance(body, dict):
        return None
    err = body.get("error")
    if isinstance(err, dict):
        err = err.get("message")
    message = err if isinstance(err, str) else body.get("message")
    if not isinstance(message, str) or not message.strip():
        return None
    line = " ".join(message.split())
    return line[:200] + ("…" if len(line) > 200 else "")


def provider_detail(chain: list[BaseException], status: int) -> str:
    """The provider's own error message (its JSON error field), else ``HTTP <status> <phrase>``.

    Never the raw body: a host that is not a provider (a misconfigured or hostile base URL)
    must not get its page echoed back to the user.
    """
    for e in chain:
        body = getattr(e, "body", None)  # the OpenAI SDK keeps the decoded error body here
        found = error_field(body) if isinstance(body, dict) else None
        response = getattr(e, "response", None)
        if found is None and isinstance(response, httpx.Response):
            try:
                found = error_field(response.content)
            except httpx.ResponseNotRead:
                found = None
        if found:
            return found
    for e in chain:  # LiteLLM's streaming errors carry the body as their whole message
        text = provider_message(e).strip()
        if text.startswith(("b'", 'b"')):
            text = text[2:-1]
        found = error_field(text.removesuffix(". Handle with `litellm.InternalServerError`."))
        if found:
            return found
    return status_phrase(status)


def status_phrase(status: int) -> str:
    """``"HTTP 502 Bad Gateway"`` (``"HTTP 599"`` for a status without a standard phrase)."""
    try:
        return f"HTTP {status} {HTTPStatus(status).phrase}"
    except ValueError:
        return f"HTTP {status}"


def host_of(base_url: str | None, fallback: str) -> str:
    """``host[:port]`` of a base URL, or ``fallback`` when there is none."""
    if base_url:
        netloc = urlparse(base_url).netloc
        if netloc:
            return netloc.rsplit("@", 1)[-1]
    return fallback


def _retry_after(chain: list[BaseException]) -> float | None:
    """``Retry-After`` seconds from any response in the chain (LiteLLM keeps it in several places)."""
    for e in chain:
        for headers in (
            getattr(e, "litellm_response_headers", None),
            getattr(e, "headers", None),
            getattr(getattr(e, "response", None), "headers", None),
        ):
            value = headers.get("retry-after") if headers is not None and hasattr(headers, "get") else None
            if value is None:
                continue
            try:
                return float(value)
            except (TypeError, ValueError):
                continue
    return None


def error_for_status(
    status: int, detail: str, *, secret: str | None, retry_after_s: float | None = None
) -> GatewayError:
    """The ``GatewayError`` for an HTTP error status from a provider.

    Args:
        status: HTTP status code (>= 400).
        detail: The provider's error text; scrubbed here.
        secret: The API key used, scrubbed from the message.
        retry_after_s: ``Retry-After`` in seconds, if the provider sent one.

    Returns:
        kind ``auth`` (401/403), ``rate_limit`` (429), ``bad_request`` (400/404/413/422),
        else ``provider``; the message quotes the status and the provider's words.
    """
    detail = scrub(detail, secret).strip().rstrip(".") or f"HTTP {status}"
    if status in (401, 403):
        label = "401 Unauthorized" if status == 401 else "403 Forbidden"
        return GatewayError("auth", f"The provider rejected the API key ({label}): {detail}.", status)
    if status == 429:
        hint = f" Try again in {retry_after_s:g} s." if retry_after_s is not None else " Try again shortly."
        message = f"The provider is rate-limiting requests (429): {detail}.{hint}"
        return GatewayError("rate_limit", message, status, retry_after_s)
    if status in (400, 404, 413, 422):
        return GatewayError("bad_request", f"The provider refused the request ({status}): {detail}.", status)
    if status >= 500:
        return GatewayError("provider", f"The provider had an internal error ({status}): {detail}.", status)
    return GatewayError("provider", f"The provider answered with an error ({status}): {detail}.", status)


def _status(chain: list[BaseException]) -> int | None:
    for e in chain:
        code = getattr(e, "status_code", None)
        if isinstance(code, int) and code >= 400:
            return code
        if isinstance(code, str) and code.isdigit() and int(code) >= 400:
            return int(code)
    return None


def to_gateway_error(exc: BaseException, *, host: str, timeout_s: float, secret: str | None) -> GatewayError:
    """Classify any exception from LiteLLM/httpx into a ``GatewayError`` with a plain message.

    Args:
        exc: The exception raised by ``litellm.acompletion``, its stream, or ``httpx``.
        host: ``host[:port]`` that was called, for "Could not reach <host>" messages.
        timeout_s: The timeout that was in force, in seconds, for the timeout message.
        secret: The API key used, scrubbed from every message.

    Returns:
        The ``GatewayError`` (not raised).
    """
    if isinstance(exc, GatewayError):
        return exc
    chain = list(_chain(exc))
    if any(isinstance(e, _NOT_REACHED) for e in chain):
        return GatewayError("unreachable", UNREACHABLE.format(host=host), None)
    if any(isinstance(e, TimeoutError | httpx.TimeoutException | litellm.Timeout) for e in chain):
        return GatewayError("timeout", f"The provider did not answer within {timeout_s:g} s.", None)
    if any(isinstance(e, httpx.TransportError | litellm.APIConnectionError | OSError) for e in chain):
        message = f"The connection to {host} failed before a complete answer arrived."
        return GatewayError("unreachable", message, None)
    status = _status(chain)
    if status is not None:
        return error_for_status(
            status, provider_detail(chain, status), secret=secret, retry_after_s=_retry_after(chain)
        )
    return GatewayError("provider", f"The provider's answer could not be read ({type(exc).__name__}).", None)


# Failures before any byte reached the host: refused by the outbound policy, name not found,
# connection refused, failed or timed out. They share one message so an address cannot be probed.
_NOT_REACHED = (
    BlockedAddress,
    socket.gaierror,
    ConnectionRefusedError,
    httpx.ConnectError,
    httpx.ConnectTimeout,
    httpcore.ConnectError,
    httpcore.ConnectTimeout,
)
