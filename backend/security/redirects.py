"""Where the app may send a browser after sign-in: local paths only (no open redirect).

One rule for every ``next=`` the app honours (the session hand-over, the provider sign-in's
round trip, the sign-in page): a path on this site, never another origin. OWASP "Unvalidated
Redirects and Forwards" cheat sheet; browsers drop tabs and newlines from URLs and read ``\\`` as
``/`` (WHATWG URL standard), so ``/\\t/evil.example`` or ``/\\evil.example`` would become
``//evil.example``, another site.
"""

from __future__ import annotations

from typing import Any
from urllib.parse import urlsplit

MAX_PATH_CHARS = 2048


def local_path(value: Any, default: str = "/agents") -> str:
    """``value`` when it is a path on this site, else ``default``.

    Accepted: a string of at most 2,048 characters that starts with one ``/`` (not ``//``), has no
    backslash, whitespace or control character, and has no scheme or host when parsed, e.g.
    ``/invite/abc?x=1``. Everything else (``https://evil.example``, ``//evil.example``,
    ``/\\evil.example``, ``javascript:...``, non-strings) gives ``default``.
    """
    if not isinstance(value, str) or not value.startswith("/") or len(value) > MAX_PATH_CHARS:
        return default
    if value.startswith("//") or "\\" in value or any(c.isspace() or ord(c) < 32 or ord(c) == 127 for c in value):
        return default
    parts = urlsplit(value)
    if parts.scheme or parts.netloc:
        return default
    return value
