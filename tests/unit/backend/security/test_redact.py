"""Redaction of API keys and tokens in text and log records."""

from __future__ import annotations

import logging
import uuid

import pytest

from backend.security.redact import RedactingFilter, install_log_redaction, redact_secrets

OPENAI = "sk-proj-Ab3dEf6hIj9kLm2nOp5qRs8tUv1wXy4z"


@pytest.mark.parametrize(
    "secret",
    [
        "sk-abcdefghijklmnopqrstuvwxyz123456",
        OPENAI,
        "sk-ant-api03-AbCdEfGhIjKlMnOpQrStUv-0123456789_xyz",
        "gsk_AbCdEfGhIjKlMnOpQrStUvWxYz0123456789",
        "AIzaSyA-1234567890abcdefghijklmnopqrstu",
        "xai-AbCdEfGhIjKlMnOpQrStUvWxYz012345",
        "0123456789abcdef0123456789abcdef",  # 32 hex chars, not UUID4-shaped
        "d41d8cd98f00b204e9800998ecf8427eD41D8CD9",  # 40 hex chars
        "Zm9vYmFyQmF6UXV4MTIzNDU2Nzg5MGFiY2RlZg==",  # base64 run
    ],
)
def test_provider_keys_are_redacted(secret: str) -> None:
    out = redact_secrets(f"provider said: invalid key {secret} (status 401)")
    assert secret not in out
    assert out == "provider said: invalid key [redacted] (status 401)"


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("Authorization: Bearer abc.def-ghi_jkl", "Authorization: Bearer [redacted]"),
        ("api_key=hunter2hunter2&model=gpt", "api_key=[redacted]&model=gpt"),
        ('{"api_key": "short secret", "model": "gpt-4o"}', '{"api_key": "[redacted]", "model": "gpt-4o"}'),
        ("OPENAI_API_KEY='abc123'", "OPENAI_API_KEY='[redacted]'"),
        ("password: pa55word!", "password: [redacted]"),
    ],
)
def test_bearer_and_key_value_pairs(text: str, expected: str) -> None:
    assert redact_secrets(text) == expected


@pytest.mark.parametrize(
    "text",
    [
        "",
        "Model gpt-4o-mini answered in 1.2s with max_tokens=512",
        "Saved to /work/main/backend/security/vault_module_helpers.py",
        "task-runner started; sk-learn is not a key",
        "test_rotation_from_old_key_to_new_key_under_the_current_ring",
        "the Bearer of bad news",
        "connection 3f2a9c1e5b7d4e0fa1b2c3d4e5f60718 in workspace 0b1c2d3e4f5a4b6c8d7e9f0a1b2c3d4e failed",
        "request id 123e4567-e89b-42d3-a456-426614174000",
    ],
)
def test_ordinary_text_is_untouched(text: str) -> None:
    assert redact_secrets(text) == text


def test_redaction_is_idempotent() -> None:
    once = redact_secrets(f'api_key={OPENAI} "token": "{OPENAI}" Bearer {OPENAI}')
    assert OPENAI not in once
    assert redact_secrets(once) == once


def test_filter_redacts_logged_message(caplog: pytest.LogCaptureFixture) -> None:
    logger = logging.getLogger("tests.redact.filter")
    caplog.handler.addFilter(RedactingFilter())
    try:
        with caplog.at_level(logging.INFO, logger="tests.redact.filter"):
            logger.info("calling provider with key %s", OPENAI)
            logger.info(f"inline {OPENAI}")
    finally:
        caplog.handler.filters.clear()
    assert OPENAI not in caplog.text
    assert caplog.messages == ["calling provider with key [redacted]", "inline [redacted]"]


def test_filter_redacts_exception_text(caplog: pytest.LogCaptureFixture) -> None:
    logger = logging.getLogger("tests.redact.exc")
    caplog.handler.addFilter(RedactingFilter())
    try:
        with caplog.at_level(logging.ERROR, logger="tests.redact.exc"):
            try:
                raise RuntimeError(f"bad key {OPENAI}")
            except RuntimeError:
                logger.exception("provider call failed")
    finally:
        caplog.handler.filters.clear()
    assert "provider call failed" in caplog.text and "RuntimeError" in caplog.text
    assert OPENAI not in caplog.text


def test_install_log_redaction_is_idempotent(caplog: pytest.LogCaptureFixture) -> None:
    root = logging.getLogger()
    handlers = list(root.handlers)
    assert caplog.handler in handlers
    try:
        install_log_redaction()
        install_log_redaction()
        for handler in handlers:
            assert sum(isinstance(f, RedactingFilter) for f in handler.filters) == 1
        with caplog.at_level(logging.WARNING):
            logging.getLogger("tests.redact.install").warning("key=%s", OPENAI)
        assert OPENAI not in caplog.text and "key=[redacted]" in caplog.text
    finally:
        for handler in handlers:
            for f in [f for f in handler.filters if isinstance(f, RedactingFilter)]:
                handler.removeFilter(f)


def test_record_ids_survive_redaction() -> None:
    ids = [uuid.uuid4().hex for _ in range(50)]
    text = " ".join(ids)
    assert redact_secrets(text) == text


class _ExcInfoHandler(logging.Handler):
    """Like Reflex's rich console handler: prints the message, then formats ``exc_info`` itself."""

    def __init__(self) -> None:
        super().__init__()
        self.lines: list[str] = []

    def emit(self, record: logging.LogRecord) -> None:
        self.lines.append(record.getMessage())
        if record.exc_info and record.exc_info[0] is not None:
            self.lines.append(logging.Formatter().formatException(record.exc_info))


def test_reflex_loggers_with_their_own_handlers_are_redacted_too() -> None:
    """Issue 9 finding 6: Reflex logs through ``reflex`` (own handlers, no propagation), and an
    event naming an unknown handler is logged whole, the handshake ``Cookie`` header included."""
    session_token = "Zq3" + "x7Yp" * 10  # 43 URL-safe characters, like a session token
    event = {"name": "state.renamed", "router_data": {"headers": {"cookie": f"agenthub_session={session_token}"}}}
    logger = logging.getLogger("reflex.tests_redact_own_handler")
    reflex_root = logging.getLogger("reflex")
    previous = reflex_root.propagate
    install_log_redaction()
    handler = _ExcInfoHandler()  # attached after installation, as Reflex's workers do
    reflex_root.addHandler(handler)
    reflex_root.propagate = False
    try:
        logger.error(f"Error processing event queue entry for {event}:")
        logger.error("no handler for %s", event)
        try:
            raise KeyError(f"No registered handler found for event: {event}")
        except KeyError:
            logger.exception("Error in event processor")
        logging.getLogger("uvicorn.access").info('%s - "%s %s"', "127.0.0.1", "POST", "/x?ticket=" + session_token)
    finally:
        reflex_root.removeHandler(handler)
        reflex_root.propagate = previous
    text = "\n".join(handler.lines)
    assert "Error processing event queue entry" in text and "KeyError" in text
    assert session_token not in text
