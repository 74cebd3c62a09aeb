"""Named outbound policies (fetch vs model endpoints) and the shape check of user-supplied URLs."""

from __future__ import annotations

import ipaddress

import pytest

from backend.config import Settings
from backend.connections.service import ConnectionInputError, create_connection
from backend.db import session_scope
from backend.gateway.probe import test_connection as probe
from backend.security.outbound import (
    BadURL,
    BlockedAddress,
    check_address,
    fetch,
    fetch_policy,
    model_endpoint_policy,
    validate_url,
)

ODD_URLS = [
    "http://0177.0.0.1/",
    "http://0x7f.0.0.1/",
    "http://0x7f000001/",
    "http://2130706433/",
    "http://127.1/",
    "http://1.2.3.4.5/",
    "http://a..b/",
    "http://exa mple.com/",
    "http://[fe80::1%25eth0]/",
    "http://example.com:99999/",
    "http://example.com:0/",
    "http://",
    "http:///v1",
    "not a url",
]


@pytest.mark.parametrize("url", ODD_URLS)
def test_odd_urls_are_refused_with_a_plain_message(url: str) -> None:
    with pytest.raises(BadURL) as info:
        validate_url(url)
    assert str(info.value).startswith("Enter a valid web address")


@pytest.mark.parametrize(
    "url", ["https://api.openai.com/v1", "http://127.0.0.1:11434/v1", "http://[::1]:8080/v1", "http://例え.jp/x?q=1"]
)
def test_ordinary_urls_pass(url: str) -> None:
    assert validate_url(url).scheme in ("http", "https")


async def test_fetch_of_an_odd_url_says_so() -> None:
    with pytest.raises(BlockedAddress) as info:  # BadURL is a BlockedAddress: every caller handles it already
        await fetch("http://0177.0.0.1/", max_bytes=100)
    assert "InvalidURL" not in str(info.value) and str(info.value).startswith("Enter a valid web address")


def test_connection_with_an_odd_base_url_gets_a_field_error(actor) -> None:  # type: ignore[no-untyped-def]
    with session_scope() as s, pytest.raises(ConnectionInputError) as info:
        create_connection(
            actor=actor,
            name="Odd",
            provider="openai_compatible",
            api_key=None,
            base_url="http://0177.0.0.1/v1",
            session=s,
        )
    assert info.value.errors["base_url"].startswith("Enter a valid web address")


async def test_probe_of_an_odd_base_url_says_so() -> None:
    result = await probe(provider_id="openai_compatible", api_key=None, base_url="http://0177.0.0.1/v1", timeout_s=2)
    assert not result.ok and result.message.startswith("Enter a valid web address"), result.message


def test_model_endpoint_policy_allows_loopback_in_development_only() -> None:
    loop4, loop6 = ipaddress.ip_address("127.0.0.1"), ipaddress.ip_address("::1")
    dev = model_endpoint_policy(Settings(env="development"))
    check_address(loop4, 11434, dev.rules)
    check_address(loop6, 11434, dev.rules)
    with pytest.raises(BlockedAddress):
        check_address(ipaddress.ip_address("10.0.0.5"), 11434, dev.rules)
    prod = model_endpoint_policy(Settings(env="production"))
    with pytest.raises(BlockedAddress):
        check_address(loop4, 11434, prod.rules)
    listed = model_endpoint_policy(Settings(env="production", model_endpoint_allow="10.0.0.0/8"))
    check_address(ipaddress.ip_address("10.0.0.5"), 11434, listed.rules)


def test_model_endpoint_allow_list_never_opens_fetches() -> None:
    settings = Settings(env="development", model_endpoint_allow="10.0.0.0/8,127.0.0.1/32")
    rules = fetch_policy(settings).rules
    for address in ("10.0.0.5", "127.0.0.1", "::1"):
        with pytest.raises(BlockedAddress):
            check_address(ipaddress.ip_address(address), 80, rules)
