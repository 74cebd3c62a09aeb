"""Address rules of the outbound policy: which IP addresses are public, operator allow rules, URL shape.

Pure functions, no I/O; :mod:`backend.security.outbound` resolves names and makes connections
with them. "Public" is Python's ``ipaddress.is_global`` (IANA special-purpose registries,
RFC 6890), also applied to an IPv4 address embedded in IPv6 (mapped, 6to4, Teredo, NAT64).
"""

from __future__ import annotations

import ipaddress
import re
from collections.abc import Sequence
from dataclasses import dataclass

import httpx

IPAddress = ipaddress.IPv4Address | ipaddress.IPv6Address
IPNetwork = ipaddress.IPv4Network | ipaddress.IPv6Network
_NAT64 = ipaddress.ip_network("64:ff9b::/96")


class BlockedAddress(Exception):
    """The URL's host is, resolves to, or redirects to an address that may not be fetched."""


class BadURL(BlockedAddress):
    """Not a plain ``http(s)://host[:port]/...`` URL (a ``BlockedAddress``, so every caller handles it)."""


INVALID_URL = "Enter a valid web address starting with http:// or https://, e.g. https://example.com/page."


@dataclass(frozen=True)
class AllowRule:
    """An operator exception: addresses in ``network`` (on ``port`` only, if set) may be fetched."""

    network: IPNetwork
    port: int | None = None

    def allows(self, address: IPAddress, port: int) -> bool:
        """True if ``address``:``port`` falls under this rule."""
        return address.version == self.network.version and address in self.network and self.port in (None, port)


def parse_allow_rules(text: str) -> list[AllowRule]:
    """Parse an allow-list (``AGENTHUB_FETCH_ALLOW``, ``AGENTHUB_MODEL_ENDPOINT_ALLOW``).

    Args:
        text: Comma-separated entries: ``"10.0.0.0/8"``, ``"127.0.0.1:8080"``, ``"[::1]:8443"``,
            ``"fd00::/8"``, ``"192.168.1.5"``.

    Returns:
        The rules, in order.

    Raises:
        ValueError: an entry is not an address, network or ``address:port``.
    """
    rules: list[AllowRule] = []
    for raw in (part.strip() for part in text.split(",")):
        if not raw:
            continue
        port: int | None = None
        host = raw
        if raw.startswith("["):
            host, _, rest = raw[1:].partition("]")
            if rest:
                port = int(rest.removeprefix(":"))
        elif raw.count(":") == 1:
            host, port_text = raw.split(":")
            port = int(port_text)
        try:
            rules.append(AllowRule(ipaddress.ip_network(host, strict=False), port))
        except ValueError:
            raise ValueError(f"Not an address or network in the allow-list: {raw!r}") from None
    return rules


def _embedded_ipv4(address: ipaddress.IPv6Address) -> ipaddress.IPv4Address | None:
    if address.ipv4_mapped is not None:
        return address.ipv4_mapped
    if address.sixtofour is not None:
        return address.sixtofour
    if address.teredo is not None:
        return address.teredo[1]
    if address in _NAT64:
        return ipaddress.IPv4Address(int(address) & 0xFFFFFFFF)
    return None


def is_public_address(address: IPAddress) -> bool:
    """True for a global unicast address (also checking an IPv4 address embedded in IPv6).

    ``is_global`` follows the IANA special-purpose registries, so it is False for loopback,
    private, link-local, CGNAT (``100.64.0.0/10``), documentation, benchmarking and reserved
    ranges; multicast is excluded separately.
    """
    if isinstance(address, ipaddress.IPv6Address):
        embedded = _embedded_ipv4(address)
        if embedded is not None and not is_public_address(embedded):
            return False
    return address.is_global and not address.is_multicast


def check_address(address: IPAddress, port: int, allow: Sequence[AllowRule] = ()) -> None:
    """Raise ``BlockedAddress`` unless ``address`` is public or allowed by an operator rule."""
    if is_public_address(address) or any(rule.allows(address, port) for rule in allow):
        return
    raise BlockedAddress(f"Fetching from {address} is not allowed (private, local or reserved address).")


MAX_URL_CHARS = 2000
_LABEL = re.compile(r"^(?!-)[a-z0-9_-]{1,63}(?<!-)$")
_NUMERIC_LABEL = re.compile(r"^(?:0x[0-9a-f]*|[0-9]+)$")


def validate_url(url: str) -> httpx.URL:
    """Check that ``url`` is a plain ``http(s)://host[:port]/...`` URL before anything connects to it.

    Refused: other schemes, a user name or password, a missing host, ports outside 1-65535,
    IPv6 zone ids, empty or malformed host labels, and numeric hosts that are not a canonical
    dotted quad (``0177.0.0.1``, ``0x7f.1``, ``127.1``, ``2130706433``: the WHATWG URL standard
    and C resolvers read these as IPv4 addresses in octal, hex or short forms).

    Args:
        url: The URL as typed, at most 2,000 characters.

    Returns:
        The parsed URL.

    Raises:
        BadURL: with the plain message :data:`INVALID_URL` (or one about credentials).
    """
    text = url.strip() if isinstance(url, str) else ""
    if not text or len(text) > MAX_URL_CHARS or any(c.isspace() or ord(c) < 32 for c in text):
        raise BadURL(INVALID_URL)
    try:
        parsed = httpx.URL(text)
        port = parsed.port
        host = parsed.raw_host.decode("ascii").lower()
    except (httpx.InvalidURL, ValueError, TypeError, UnicodeError):
        raise BadURL(INVALID_URL) from None
    if parsed.scheme not in ("http", "https") or not host or (port is not None and not 0 < port < 65536):
        raise BadURL(INVALID_URL)
    if parsed.userinfo:
        raise BadURL("URLs with a user name or password are not allowed.")
    if ":" in host:
        if "%" in host:  # an IPv6 zone id names a local interface
            raise BadURL(INVALID_URL)
        try:
            ipaddress.IPv6Address(host)
        except ValueError:
            raise BadURL(INVALID_URL) from None
        return parsed
    labels = host.removesuffix(".").split(".")
    if _NUMERIC_LABEL.match(labels[-1]):
        try:
            canonical = str(ipaddress.IPv4Address(host.removesuffix(".")))
        except ValueError:
            raise BadURL(INVALID_URL) from None
        if canonical != host.removesuffix("."):
            raise BadURL(INVALID_URL)
    elif not all(_LABEL.match(label) for label in labels):
        raise BadURL(INVALID_URL)
    return parsed
