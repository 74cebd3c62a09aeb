"""Audit argument redaction: secret keys, secret-looking values, non-JSON and long strings."""

from __future__ import annotations

import json

from backend.tools.audit import MAX_STRING, is_secret_key, redact_arguments


def test_secret_keys() -> None:
    for key in ("password", "api_key", "X-Api-Key", "apiKey", "access_token", "Authorization", "client_secret", "auth"):
        assert is_secret_key(key), key
    for key in ("author", "title", "url", "authority", "max_tokens"[:3]):
        assert not is_secret_key(key), key


def test_nested_values_are_redacted() -> None:
    raw = json.dumps(
        {"q": "weather", "nested": {"list": [{"password": "pw-123456"}, "Bearer abcdefghijklmnopqrstu"]}, "n": 3}
    )
    out = redact_arguments(raw)
    assert out["q"] == "weather" and out["n"] == 3
    assert out["nested"]["list"][0]["password"] == "[redacted]"
    assert out["nested"]["list"][1] == "Bearer [redacted]"


def test_not_json_and_not_an_object() -> None:
    assert redact_arguments("{broken api_key=sk-abcdefghijklmnopqrstuvwx") == {"_raw": "{broken api_key=[redacted]"}
    assert redact_arguments("[1, 2]") == {"_value": [1, 2]}
    assert redact_arguments("") == {}


def test_long_strings_are_cut_and_secrets_near_the_cut_still_redacted() -> None:
    secret = "sk-proj-" + "A1b2C3d4" * 4
    value = "x " * ((MAX_STRING - 10) // 2) + secret + " tail" * 1000
    out = redact_arguments(json.dumps({"text": value}))["text"]
    assert len(out) <= MAX_STRING + 1 and out.endswith("…")
    assert "A1b2C3d4" not in out
