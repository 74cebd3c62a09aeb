"""Domain lists and header hygiene of the web tools."""

from __future__ import annotations

import pytest

from backend.tools.base import ToolError
from backend.tools.http_common import HttpResult, body_for_model, clean_headers, host_allowed, normalize_domain


@pytest.mark.parametrize(
    ("host", "domains", "allowed"),
    [
        ("api.example.com", ["api.example.com"], True),
        ("API.Example.com.", ["api.example.com"], True),
        ("example.com", ["api.example.com"], False),
        ("evil-api.example.com", ["api.example.com"], False),
        ("api.example.com.evil.net", ["api.example.com"], False),
        ("a.example.com", ["*.example.com"], True),
        ("a.b.example.com", ["*.example.com"], True),
        ("example.com", ["*.example.com"], False),
        ("notexample.com", ["*.example.com"], False),
        ("127.0.0.1", ["127.0.0.1"], True),
        ("::1", ["::1"], True),
        ("anything.com", [], False),
    ],
)
def test_host_allowed(host: str, domains: list[str], allowed: bool) -> None:
    assert host_allowed(host, domains) is allowed


@pytest.mark.parametrize(
    ("entry", "normal"),
    [("Example.COM", "example.com"), ("*.example.com", "*.example.com"), ("10.0.0.1", "10.0.0.1"), ("[::1]", "::1")],
)
def test_normalize_domain(entry: str, normal: str) -> None:
    assert normalize_domain(entry) == normal


@pytest.mark.parametrize("entry", ["https://example.com", "example.com/path", "exa mple.com", "*", "*.*.com", ""])
def test_normalize_domain_rejects(entry: str) -> None:
    with pytest.raises(ValueError):
        normalize_domain(entry)


def test_clean_headers() -> None:
    assert clean_headers({"Accept": "application/json", "Host": "evil", "Content-Length": "9"}) == {
        "Accept": "application/json"
    }
    with pytest.raises(ToolError):
        clean_headers({"X-Bad": "a\r\nInjected: 1"})
    with pytest.raises(ToolError):
        clean_headers({"Bad Header": "x"})


def test_body_for_model() -> None:
    def result(body: bytes, kind: str = "application/json", truncated: bool = False) -> HttpResult:
        return HttpResult(200, "http://x/", kind, "utf-8", body, truncated, 1)

    assert body_for_model(result(b'{"a": 1}')) == {"json": {"a": 1}}
    assert body_for_model(result(b'{"a": ', truncated=True)) == {"text": '{"a": ', "truncated": True}
    assert body_for_model(result("héllo".encode(), "text/plain")) == {"text": "héllo"}
    assert "Binary content" in body_for_model(result(b"\x00", "application/octet-stream"))["body_note"]
    weird = HttpResult(200, "http://x/", "text/plain", "no-such-charset", b"ok", False, 1)
    assert body_for_model(weird) == {"text": "ok"}
