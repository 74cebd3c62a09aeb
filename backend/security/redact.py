"""Scrub API keys and tokens out of free text and log records.

A defence in depth for the vault's rule that secrets never reach logs: even if a provider
error message or a stray ``repr`` carries a key, log handlers print ``[redacted]`` instead.
Patterns cover provider key prefixes (OpenAI ``sk-``/``sk-proj-``, Anthropic ``sk-ant-``,
Groq ``gsk_``, xAI ``xai-``, Google ``AIza``, and similar), RFC 6750 ``Bearer`` tokens,
``api_key=...`` / ``"api_key": "..."`` pairs, JWTs, and long random-looking hex or base64 runs
(>= 32 characters mixing letters and digits, so long hashes such as git SHAs are redacted too).
One exception: 32 lowercase hex characters laid out as a UUID4 (this app's record ids, see
``backend.models.common.new_id``) are kept, so logs stay traceable.
"""

from __future__ import annotations

import logging
import re

REDACTED = "[redacted]"

# "name": "value" / name=value / name: value, for secret-bearing names (e.g. OPENAI_API_KEY).
_KEY_VALUE = re.compile(
    r"""(?ix)
    (?P<name>["']?[\w-]*?(?:api[_-]?key|apikey|secret|password|passwd|token)["']?\s*[:=]\s*)
    (?:"(?P<dq>[^"]*)"|'(?P<sq>[^']*)'|(?P<bare>\[redacted\]|[^\s"',;&}\]]+))
    """
)
_BEARER = re.compile(r"(?i)\b(?P<scheme>Bearer|Basic)\s+[A-Za-z0-9\-._~+/]{8,}=*")
_PATTERNS = (
    re.compile(r"\b(?:sk-ant-|sk-proj-|sk-|gsk_|xai-|hf_|ghp_|gho_|github_pat_|glpat-)[A-Za-z0-9_\-]{16,}"),
    re.compile(r"\bAIza[0-9A-Za-z_\-]{30,}"),
    re.compile(r"\bxox[abprs]-[A-Za-z0-9\-]{10,}"),
    re.compile(r"\bAKIA[0-9A-Z]{16}\b"),
    re.compile(r"\beyJ[A-Za-z0-9_\-]{8,}\.[A-Za-z0-9_\-]{8,}\.[A-Za-z0-9_\-]*"),
)
_LONG_HEX = re.compile(r"(?<![0-9A-Za-z])[0-9a-fA-F]{32,}(?![0-9A-Za-z])")
_LONG_B64 = re.compile(r"(?<![A-Za-z0-9+/_\-])[A-Za-z0-9+/_\-]{32,}={0,2}")


def _looks_random(run: str) -> bool:
    """Heuristic for a key-like run: upper case, lower case and digits all present."""
    return any(c.isupper() for c in run) and any(c.islower() for c in run) and any(c.isdigit() for c in run)


def _hex_run(match: re.Match[str]) -> str:
    run = match[0]
    if not any(c.isdigit() for c in run):
        return run
    if len(run) == 32 and run.islower() and run[12] == "4" and run[16] in "89ab":
        return run  # a UUID4 hex record id, not a key
    return REDACTED


def _key_value(match: re.Match[str]) -> str:
    if match["dq"] is not None:
        return f'{match["name"]}"{REDACTED}"'
    if match["sq"] is not None:
        return f"{match['name']}'{REDACTED}'"
    return match["name"] + REDACTED


def redact_secrets(text: str) -> str:
    """Replace anything that looks like an API key or bearer token with ``[redacted]``.

    Args:
        text: any text (log message, provider error, exception string).

    Returns:
        The text with secrets replaced; field names and ``Bearer`` are kept for context, e.g.
        ``'api_key="sk-..."'`` becomes ``'api_key="[redacted]"'``. Idempotent.
    """
    if not text:
        return text
    text = _BEARER.sub(lambda m: f"{m['scheme']} {REDACTED}", text)
    text = _KEY_VALUE.sub(_key_value, text)
    for pattern in _PATTERNS:
        text = pattern.sub(REDACTED, text)
    text = _LONG_HEX.sub(_hex_run, text)
    return _LONG_B64.sub(lambda m: REDACTED if _looks_random(m[0]) else m[0], text)


class RedactingFilter(logging.Filter):
    """Logging filter that runs :func:`redact_secrets` over each record it sees.

    The message is formatted with its args first, redacted, and stored back in
    ``record.msg`` (``record.args`` becomes None). Exception and stack text are redacted
    too. Never drops a record.
    """

    def filter(self, record: logging.LogRecord) -> bool:
        """Redact ``record`` in place and return True."""
        try:
            message = record.getMessage()
        except Exception:  # malformed %-args: keep the raw template, still redacted
            message = str(record.msg)
        record.msg, record.args = redact_secrets(message), None
        if record.exc_info and not record.exc_text:
            record.exc_text = logging.Formatter().formatException(record.exc_info)
        if record.exc_text:
            record.exc_text = redact_secrets(record.exc_text)
        if record.stack_info:
            record.stack_info = redact_secrets(record.stack_info)
        return True


def install_log_redaction() -> None:
    """Add a :class:`RedactingFilter` to every handler of the root logger.

    Idempotent: handlers that already have one are skipped. Handlers added to the root
    logger afterwards are not covered; call again after (re)configuring logging.
    """
    for handler in logging.getLogger().handlers:
        if not any(isinstance(f, RedactingFilter) for f in handler.filters):
            handler.addFilter(RedactingFilter())
