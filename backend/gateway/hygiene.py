"""Request hygiene before a model call: control characters, size caps, secret redaction.

- Control characters (Unicode category ``Cc`` except tab, newline and carriage return) are
  stripped from message text: they are invisible in the UI, can smuggle instructions past a
  reader, and some providers reject them.
- Size caps bound one message and the whole request (characters, before tokenisation), so a
  pasted book fails fast with a clear error instead of a provider 400 after an upload.
- Anything that looks like an API key is redacted from text that leaves the call: log lines
  and error messages stored in usage records (``backend.security.redact``).
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from typing import Any

from backend.gateway.llm import GatewayError, scrub

MAX_MESSAGE_CHARS = 100_000
"""Longest single message, characters (~25k tokens)."""

MAX_REQUEST_CHARS = 400_000
"""Longest request (all messages together), characters (~100k tokens)."""

MAX_MESSAGES = 500
"""Most messages in one request."""

# C0 controls except \t \n \r, DEL, and C1 controls.
_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f]")


def strip_control_chars(text: str) -> str:
    """Remove control characters, keeping tab, newline and carriage return.

    Args:
        text: Any text, e.g. a user's message.

    Returns:
        The text without characters U+0000-U+0008, U+000B, U+000C, U+000E-U+001F, U+007F-U+009F.
    """
    return _CONTROL.sub("", text)


def clean_messages(
    messages: Sequence[dict[str, Any]],
    *,
    max_message_chars: int = MAX_MESSAGE_CHARS,
    max_request_chars: int = MAX_REQUEST_CHARS,
    max_messages: int = MAX_MESSAGES,
) -> list[dict[str, Any]]:
    """Copy OpenAI-style messages with control characters stripped, enforcing size caps.

    Args:
        messages: ``[{"role": ..., "content": str | list[content part]}]``; text parts
            (``{"type": "text", "text": ...}``) are cleaned too, other parts are kept as they are.
        max_message_chars: Cap on one message's text, characters.
        max_request_chars: Cap on all messages' text together, characters.
        max_messages: Cap on the number of messages.

    Returns:
        New message dicts (the input is not modified).

    Raises:
        GatewayError: kind ``bad_request`` naming the cap that was exceeded, e.g.
            ``"Message 3 is too long: 120,000 characters (the limit is 100,000)."``.
    """
    if not messages:
        raise GatewayError("bad_request", "There is nothing to send: the request has no messages.")
    if len(messages) > max_messages:
        raise GatewayError("bad_request", f"Too many messages: {len(messages):,} (the limit is {max_messages:,}).")
    cleaned: list[dict[str, Any]] = []
    total = 0
    for index, message in enumerate(messages, start=1):
        copy = dict(message)
        content = copy.get("content")
        size = 0
        if isinstance(content, str):
            copy["content"] = strip_control_chars(content)
            size = len(copy["content"])
        elif isinstance(content, list):
            parts: list[Any] = []
            for part in content:
                if isinstance(part, dict) and isinstance(part.get("text"), str):
                    part = {**part, "text": strip_control_chars(part["text"])}
                    size += len(part["text"])
                parts.append(part)
            copy["content"] = parts
        if size > max_message_chars:
            raise GatewayError(
                "bad_request",
                f"Message {index} is too long: {size:,} characters (the limit is {max_message_chars:,}).",
            )
        total += size
        cleaned.append(copy)
    if total > max_request_chars:
        raise GatewayError(
            "bad_request",
            f"The request is too long: {total:,} characters in all (the limit is {max_request_chars:,}). "
            "Start a new conversation or shorten the instructions.",
        )
    return cleaned


def safe_error_text(text: str, secret: str | None = None, limit: int = 500) -> str:
    """Text fit for logs and stored errors: the exact ``secret`` and key-like strings redacted.

    Args:
        text: An error message or any free text.
        secret: The API key used for the call, if any.
        limit: Maximum length kept, characters.

    Returns:
        The redacted text, cut to ``limit`` characters.
    """
    return scrub(text, secret)[:limit]
