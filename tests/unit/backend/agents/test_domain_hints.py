"""Allowed-domain warnings: hosts the outbound policy will refuse are flagged, public ones are not."""

from __future__ import annotations

import pytest

from backend.agents.domain_hints import domain_warnings
from backend.agents.service import domain_warnings_for
from backend.config import get_settings
from backend.security.addresses import parse_allow_rules


def test_loopback_private_link_local_and_metadata_hosts_are_flagged() -> None:
    warnings = domain_warnings(
        ["api.example.com", "127.0.0.1", "localhost", "169.254.169.254", "10.1.2.3:8080", "[::1]", "*.corp.internal"]
    )
    assert [w.split(" ", 1)[0] for w in warnings] == [
        "127.0.0.1",
        "localhost",
        "169.254.169.254",
        "10.1.2.3:8080",
        "[::1]",
        "*.corp.internal",
    ]
    assert "loopback" in warnings[0] and "AGENTHUB_FETCH_ALLOW" in warnings[0]
    assert "cloud metadata" in warnings[2]
    assert "private" in warnings[3]


def test_public_hosts_and_addresses_the_operator_allows_are_not_flagged() -> None:
    assert domain_warnings(["example.com", "*.example.org", "93.184.216.34", ""]) == []
    assert domain_warnings(["10.0.0.5", "10.9.9.9"], parse_allow_rules("10.0.0.0/24")) == [
        "10.9.9.9 is a private address: requests to it will be refused unless the operator allows it "
        "(AGENTHUB_FETCH_ALLOW)."
    ]


def test_the_builder_warning_follows_the_operators_fetch_allow_list(monkeypatch: pytest.MonkeyPatch) -> None:
    # The Tools card calls agents.service.domain_warnings_for: the operator's rules apply.
    monkeypatch.setenv("AGENTHUB_FETCH_ALLOW", "")
    get_settings.cache_clear()
    assert [w.split(" ", 1)[0] for w in domain_warnings_for(["example.com", "10.0.0.5"])] == ["10.0.0.5"]
    monkeypatch.setenv("AGENTHUB_FETCH_ALLOW", "10.0.0.0/24")
    get_settings.cache_clear()
    try:
        assert domain_warnings_for(["example.com", "10.0.0.5"]) == []
    finally:
        monkeypatch.undo()
        get_settings.cache_clear()
