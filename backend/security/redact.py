"""Scrub API keys and tokens out of free text and log records.

A defence in depth for the vault's rule that secrets never reach logs: even if a provider
error message or a stray ``repr`` carries a key, log handlers print ``[redacted]`` instead.
Patterns cover provider key prefixes (OpenAI ``sk-``/``sk-proj-``, Anthropic ``sk-ant-``,
Groq ``gsk_``, xAI ``xai-``, Google ``AIza``, and similar), RFC 6750 ``Bearer`` tokens,
``api_key=...`` / ``"api_key": "..."`` pairs, JWTs, and long random-looking hex or base64 runs
(>= 32 characters mixing letters and digits, so long hashes such as git SHAs are redacted too).
One exception: 32 lowercase hex characters laid out as a UUID4 (this app's record ids, see
``backend.models.common.new_id``) are kept, so logs stay traceable. Cookies, session tokens,
login tickets and ``Authorization`` headers are redacted by name (``cookie: ...``,
``agenthub_session=...``, ``'authorization': '...'``).

:func:`install_log_redaction` covers every logger, Reflex's own included: Reflex logs through
the ``reflex`` logger with its own (rich) handlers and ``propagate = False``, so a filter on the
root logger never sees, for instance, the whole event (handshake ``Cookie`` header included)
that Reflex logs when an event names an unknown handler. A log-record factory redacts each
record as it is created, before any handler, present or future, formats it.
"""

from __future__ import annotations

import logging
import re

REDACTED = "[redacted]"

# "name": "value" / name=value / name: value, for secret-bearing names (e.g. OPENAI_API_KEY).
_KEY_VALUE = re.compile(
    r"""(?ix)
    (?P<name>["']?[\w-]*?(?:api[_-]?key|apikey|secret|password|passwd|token|cookie|session|authorization|ticket)
      ["']?\s*[:=]\s*)
    (?:"(?P<dq>[^"]*)"|'(?P<sq>[^']*)'|(?P<bare>\[redacted\]|(?!(?:Bearer|Basic)\s)[^\s"',;&}\]]+))
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


def _fold_exception(record: logging.LogRecord) -> str:
    """The record's traceback and stack as redacted text; clears ``exc_info`` (rich handlers
    format ``exc_info`` themselves and would print the unredacted exception message)."""
    extra = ""
    if record.exc_info and record.exc_info[0] is not None and not record.exc_text:
        record.exc_text = logging.Formatter().formatException(record.exc_info)
    if record.exc_text:
        extra += "\n" + redact_secrets(record.exc_text)
    if record.stack_info:
        extra += "\n" + redact_secrets(record.stack_info)
    record.exc_info, record.exc_text, record.stack_info = None, None, None
    return extra


def redact_record(record: logging.LogRecord) -> None:
    """Redact ``record`` in place: message (with its args), traceback and stack.

    When the formatted message holds nothing secret, ``msg`` and ``args`` are left as they
    are (formatters such as uvicorn's access log read the args); otherwise the message is
    formatted, redacted and stored with ``args = None``. A traceback is folded into the
    message, redacted.
    """
    try:
        message = record.getMessage()
    except Exception:  # noqa: BLE001  (malformed %-args: keep the raw template, still redacted)
        message = str(record.msg)
    if (clean := redact_secrets(message)) != message:
        record.msg, record.args = clean, None
    if record.exc_info or record.exc_text or record.stack_info:
        extra = _fold_exception(record)
        if record.args:
            extra = extra.replace("%", "%%")
        record.msg = str(record.msg) + extra


class RedactingFilter(logging.Filter):
    """Logging filter that runs :func:`redact_secrets` over each record it sees.

    The message is formatted with its args first, redacted, and stored back in
    ``record.msg`` (``record.args`` becomes None). Exception and stack text are redacted
    and folded into the message. Never drops a record.
    """

    def filter(self, record: logging.LogRecord) -> bool:
        """Redact ``record`` in place and return True."""
        try:
            message = record.getMessage()
        except Exception:  # malformed %-args: keep the raw template, still redacted
            message = str(record.msg)
        record.msg, record.args = redact_secrets(message), None
        record.msg += _fold_exception(record)
        return True


def _install_record_factory() -> None:
    previous = logging.getLogRecordFactory()
    if getattr(previous, "agenthub_redacting", False):
        return

    def factory(*args: object, **kwargs: object) -> logging.LogRecord:
        record = previous(*args, **kwargs)
        try:
            redact_record(record)
        except Exception:  # noqa: BLE001  (never lose a log line to redaction)
            record.msg, record.args = "[log record redacted: unreadable]", None
        return record

    factory.agenthub_redacting = True  # type: ignore[attr-defined]
    logging.setLogRecordFactory(factory)


def install_log_redaction() -> None:
    """Redact every log record of the process: all loggers, all handlers, Reflex's included.

    Installs a log-record factory that runs :func:`redact_record` on each new record, and a
    :class:`RedactingFilter` on every handler of the root and ``reflex`` loggers (records
    built before the factory, or by hand). Idempotent.
    """
    _install_record_factory()
    for name in ("", "reflex"):
        for handler in logging.getLogger(name).handlers:
            if not any(isinstance(f, RedactingFilter) for f in handler.filters):
                handler.addFilter(RedactingFilter())
