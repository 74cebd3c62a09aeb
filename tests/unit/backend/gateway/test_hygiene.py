"""Request hygiene: control characters, size caps, redaction."""

from __future__ import annotations

import pytest

from backend.gateway.hygiene import clean_messages, safe_error_text, strip_control_chars
from backend.gateway.llm import GatewayError


def test_control_characters_are_stripped_but_whitespace_kept() -> None:
    assert strip_control_chars("a\x00b\x07c\x1b[0m\td\ne\r\x7f\x85") == "abc[0m\td\ne\r"
    assert strip_control_chars("héllo — ✓ 日本") == "héllo — ✓ 日本"


def test_clean_messages_copies_and_cleans_text_parts() -> None:
    messages = [
        {"role": "user", "content": "x\x00y"},
        {
            "role": "user",
            "content": [{"type": "text", "text": "a\x01b"}, {"type": "image_url", "image_url": {"url": "u"}}],
        },
    ]
    cleaned = clean_messages(messages)
    assert cleaned[0]["content"] == "xy" and cleaned[1]["content"][0]["text"] == "ab"
    assert cleaned[1]["content"][1] == messages[1]["content"][1]
    assert messages[0]["content"] == "x\x00y"  # the input is untouched


def test_size_caps_give_clear_errors() -> None:
    with pytest.raises(GatewayError, match=r"Message 2 is too long: 11 characters \(the limit is 10\)") as info:
        clean_messages([{"role": "user", "content": "ok"}, {"role": "user", "content": "x" * 11}], max_message_chars=10)
    assert info.value.kind == "bad_request"
    with pytest.raises(GatewayError, match="The request is too long: 30 characters in all"):
        clean_messages([{"role": "user", "content": "x" * 10}] * 3, max_message_chars=10, max_request_chars=25)
    with pytest.raises(GatewayError, match="Too many messages"):
        clean_messages([{"role": "user", "content": "x"}] * 4, max_messages=3)
    with pytest.raises(GatewayError, match="no messages"):
        clean_messages([])


def test_safe_error_text_redacts_keys() -> None:
    text = safe_error_text("bad key sk-proj-ABCDEFGHIJKLMNOPQRSTUVWX123 and mysecret", "mysecret")
    assert "sk-proj" not in text and "mysecret" not in text and text.count("[redacted]") == 2
