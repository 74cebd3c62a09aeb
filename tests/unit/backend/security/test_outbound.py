"""The network guard: private, local and metadata addresses are blocked, by literal, DNS or redirect."""

from __future__ import annotations

import ipaddress

import pytest

from backend.security.outbound import (
    AllowRule,
    BlockedAddress,
    FetchTooLarge,
    GuardedTransport,
    fetch,
    is_public_address,
    parse_allow_rules,
)
from tests.support.http_pages import PageServer

NO_RULES: list[AllowRule] = []


@pytest.mark.parametrize(
    "address",
    [
        "127.0.0.1",
        "127.8.9.10",
        "::1",
        "10.0.0.1",
        "10.255.255.254",
        "172.16.0.1",
        "172.31.255.1",
        "192.168.1.1",
        "169.254.169.254",
        "100.64.0.1",
        "100.100.100.200",
        "0.0.0.0",
        "224.0.0.1",
        "fd00::1",
        "fe80::1",
        "::ffff:127.0.0.1",
        "::ffff:10.0.0.1",
        "64:ff9b::a00:1",
        "2002:a00:1::",
        "fd00:ec2::254",
    ],
)
def test_non_public_addresses_are_not_public(address: str) -> None:
    assert not is_public_address(ipaddress.ip_address(address))


@pytest.mark.parametrize("address", ["93.184.216.34", "1.1.1.1", "2606:4700:4700::1111", "172.32.0.1"])
def test_public_addresses_are_public(address: str) -> None:
    assert is_public_address(ipaddress.ip_address(address))


@pytest.mark.parametrize(
    "url",
    [
        "http://127.0.0.1/",
        "http://[::1]:8080/",
        "http://10.1.2.3/",
        "http://172.16.5.4/",
        "http://192.168.0.10/admin",
        "http://169.254.169.254/latest/meta-data/",
        "http://100.64.1.1/",
        "http://[::ffff:169.254.169.254]/",
        "http://localhost:9/",
        "http://vm/",
    ],
)
async def test_blocked_before_any_connection(url: str) -> None:
    """Literal addresses and names resolving to loopback ('localhost', 'vm' in /etc/hosts) are refused."""
    with pytest.raises(BlockedAddress):
        await fetch(url, max_bytes=1000, allow=NO_RULES)


@pytest.mark.parametrize("url", ["ftp://example.com/x", "file:///etc/passwd", "http://user:pw@example.com/"])
async def test_other_schemes_and_credentials_are_refused(url: str) -> None:
    with pytest.raises(BlockedAddress):
        await fetch(url, max_bytes=1000, allow=NO_RULES)


def test_allow_rules_parse() -> None:
    rules = parse_allow_rules(" 10.0.0.0/8, 127.0.0.1:8080,[::1]:8443 ,fd00::/8")
    assert rules[1] == AllowRule(ipaddress.ip_network("127.0.0.1/32"), 8080)
    assert rules[1].allows(ipaddress.ip_address("127.0.0.1"), 8080)
    assert not rules[1].allows(ipaddress.ip_address("127.0.0.1"), 8081)
    assert rules[2].allows(ipaddress.ip_address("::1"), 8443) and rules[0].allows(ipaddress.ip_address("10.9.8.7"), 1)
    with pytest.raises(ValueError):
        parse_allow_rules("not-an-address")


async def test_allowed_server_is_fetched_and_size_capped() -> None:
    routes = {"/doc.html": (200, "text/html; charset=utf-8", b"<p>hello</p>"), "/big": (200, "text/plain", b"x" * 5000)}
    with PageServer(routes) as server:
        rules = parse_allow_rules(f"127.0.0.1:{server.port}")
        page = await fetch(server.url("/doc.html"), max_bytes=1000, allow=rules)
        assert page.content_type == "text/html" and page.data == b"<p>hello</p>"
        with pytest.raises(FetchTooLarge):
            await fetch(server.url("/big"), max_bytes=1000, allow=rules)
        # The rule is for this port only: 'localhost' on another port stays blocked.
        with pytest.raises(BlockedAddress):
            await fetch(f"http://localhost:{server.port + 1}/", max_bytes=1000, allow=rules)


@pytest.mark.parametrize(
    "target",
    [
        "http://10.0.0.1/",
        "http://169.254.169.254/latest/meta-data/",
        "http://localhost:{other}/secret",
        "http://127.0.0.1:{other}/secret",
        "http://[::1]:{other}/",
    ],
)
async def test_redirects_to_private_addresses_are_blocked(target: str) -> None:
    with PageServer({"/secret": (200, "text/plain", b"internal")}) as inner:
        routes = {"/go": (302, target.format(other=inner.port), b"")}
        with PageServer(routes) as outer:
            rules = parse_allow_rules(f"127.0.0.1:{outer.port}")
            with pytest.raises(BlockedAddress):
                await fetch(outer.url("/go"), max_bytes=1000, allow=rules)
            assert outer.hits == ["/go"] and inner.hits == []


def test_transport_swaps_in_the_guarded_pool() -> None:
    """Regression guard for the httpx internals the transport relies on (httpx pinned < 0.29)."""
    transport = GuardedTransport([])
    assert type(transport._pool._network_backend).__name__ == "_GuardedBackend"
