"""Network guard for server-side fetches of user-supplied URLs (SSRF protection).

Every connection is checked where it is made: the guarded transport resolves the host name
itself, refuses the connection if ANY resolved address is not a public unicast address, and
connects to the address it checked (so DNS rebinding between check and connect cannot switch
it). Redirects go through the same transport, so a public page redirecting to
``http://169.254.169.254/`` is refused too. Blocked: loopback, RFC 1918 private ranges,
link-local (cloud metadata ``169.254.169.254``), CGNAT ``100.64.0.0/10`` (RFC 6598),
unspecified, multicast, reserved and documentation ranges, IPv6 unique-local and link-local,
and IPv4 addresses embedded in IPv6 (mapped ``::ffff:0:0/96``, 6to4, Teredo, NAT64
``64:ff9b::/96``). The rule is Python's ``ipaddress.is_global`` (IANA special-purpose
registries, RFC 6890) applied to the address and to any IPv4 address it embeds.

Operators can allow specific ranges (an intranet wiki) with ``AGENTHUB_FETCH_ALLOW``:
comma-separated ``CIDR`` (any port) or ``address:port`` entries, e.g.
``"10.1.0.0/16,127.0.0.1:8080,[::1]:8443"``. Environment proxies are never used
(``trust_env=False``): a proxy would make the connection on our behalf, unchecked.
"""

from __future__ import annotations

import asyncio
import ipaddress
import socket
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit

import httpcore
import httpx

IPAddress = ipaddress.IPv4Address | ipaddress.IPv6Address
IPNetwork = ipaddress.IPv4Network | ipaddress.IPv6Network
_NAT64 = ipaddress.ip_network("64:ff9b::/96")


class BlockedAddress(Exception):
    """The URL's host is, resolves to, or redirects to an address that may not be fetched."""


@dataclass(frozen=True)
class AllowRule:
    """An operator exception: addresses in ``network`` (on ``port`` only, if set) may be fetched."""

    network: IPNetwork
    port: int | None = None

    def allows(self, address: IPAddress, port: int) -> bool:
        """True if ``address``:``port`` falls under this rule."""
        return address.version == self.network.version and address in self.network and self.port in (None, port)


def parse_allow_rules(text: str) -> list[AllowRule]:
    """Parse ``AGENTHUB_FETCH_ALLOW``.

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
            raise ValueError(f"Not an address or network in the fetch allow-list: {raw!r}") from None
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


async def resolve(host: str, port: int) -> list[IPAddress]:
    """Every address ``host`` resolves to (A and AAAA), or the literal address itself.

    Raises:
        BlockedAddress: the name does not resolve.
    """
    try:
        return [ipaddress.ip_address(host.strip("[]").split("%", 1)[0])]
    except ValueError:
        pass
    loop = asyncio.get_running_loop()
    try:
        infos = await loop.getaddrinfo(host, port, type=socket.SOCK_STREAM)
    except socket.gaierror as exc:
        raise BlockedAddress(f"The host name {host} could not be resolved.") from exc
    out: list[IPAddress] = []
    for info in infos:
        address = ipaddress.ip_address(str(info[4][0]).split("%", 1)[0])
        if address not in out:
            out.append(address)
    return out


async def checked_addresses(host: str, port: int, allow: Sequence[AllowRule] = ()) -> list[IPAddress]:
    """Resolve ``host`` and check every address; ALL must pass (one bad answer blocks the name).

    Raises:
        BlockedAddress: a resolved address is not allowed, or the name does not resolve.
    """
    addresses = await resolve(host, port)
    for address in addresses:
        try:
            check_address(address, port, allow)
        except BlockedAddress as exc:
            if str(address) == host.strip("[]"):
                raise
            raise BlockedAddress(
                f"Fetching from {host} is not allowed: it resolves to {address}, a private, local or reserved address."
            ) from exc
    return addresses


class _GuardedBackend(httpcore.AsyncNetworkBackend):
    """httpcore network backend that checks and pins the resolved address of every connection."""

    def __init__(self, allow: Sequence[AllowRule]) -> None:
        self._allow = tuple(allow)
        self._inner = httpcore.AnyIOBackend()

    async def connect_tcp(
        self,
        host: str,
        port: int,
        timeout: float | None = None,  # noqa: ASYNC109  (httpcore's interface)
        local_address: str | None = None,
        socket_options: Iterable[Any] | None = None,
    ) -> httpcore.AsyncNetworkStream:
        addresses = await checked_addresses(host, port, self._allow)
        last: Exception | None = None
        for address in addresses:
            try:
                return await self._inner.connect_tcp(
                    str(address), port, timeout=timeout, local_address=local_address, socket_options=socket_options
                )
            except (httpcore.ConnectError, httpcore.ConnectTimeout) as exc:
                last = exc
        raise last or httpcore.ConnectError(f"Could not connect to {host}")

    async def connect_unix_socket(
        self,
        path: str,
        timeout: float | None = None,  # noqa: ASYNC109  (httpcore's interface)
        socket_options: Iterable[Any] | None = None,
    ) -> httpcore.AsyncNetworkStream:
        raise BlockedAddress("Unix sockets are not allowed.")

    async def sleep(self, seconds: float) -> None:
        await self._inner.sleep(seconds)


class GuardedTransport(httpx.AsyncHTTPTransport):
    """``httpx.AsyncHTTPTransport`` whose connections go through the guard (no proxies)."""

    def __init__(self, allow: Sequence[AllowRule] = ()) -> None:
        super().__init__(trust_env=False)
        # httpx (pinned <0.29) builds its httpcore pool in __init__ without a network_backend
        # option; swap in an identical pool that uses the guarded backend.
        self._pool = httpcore.AsyncConnectionPool(
            ssl_context=httpx.create_ssl_context(trust_env=False),
            max_connections=10,
            max_keepalive_connections=5,
            keepalive_expiry=5.0,
            network_backend=_GuardedBackend(allow),
        )


def _check_url_shape(url: str) -> None:
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise BlockedAddress("Only http:// and https:// URLs can be fetched.")
    if parts.username or parts.password:
        raise BlockedAddress("URLs with a user name or password are not fetched.")


def guarded_client(
    *, allow: Sequence[AllowRule] | None = None, timeout_s: float = 15.0, max_redirects: int = 5
) -> httpx.AsyncClient:
    """An ``httpx.AsyncClient`` that can only reach allowed addresses, following redirects.

    Args:
        allow: Operator rules; default: parsed from ``Settings.fetch_allow``.
        timeout_s: Connect/read/write timeout, seconds.
        max_redirects: Redirects followed; each target is checked when it is connected to.

    Returns:
        A client to use as an async context manager. Requests to blocked hosts raise
        ``BlockedAddress``; redirects to non-HTTP schemes raise ``httpx.UnsupportedProtocol``.
    """
    if allow is None:
        from backend.config import get_settings

        allow = parse_allow_rules(get_settings().fetch_allow)

    async def check_request(request: httpx.Request) -> None:
        _check_url_shape(str(request.url))

    return httpx.AsyncClient(
        transport=GuardedTransport(allow),
        timeout=httpx.Timeout(timeout_s),
        follow_redirects=True,
        max_redirects=max_redirects,
        trust_env=False,
        event_hooks={"request": [check_request]},
        headers={"User-Agent": "AgentHub/0.1 (knowledge fetch)"},
    )


@dataclass(frozen=True)
class FetchedPage:
    """A fetched document: final ``url`` after redirects, ``content_type`` (lower case, no params)."""

    url: str
    content_type: str
    data: bytes


class FetchTooLarge(Exception):
    """The response is bigger than the allowed size."""


async def fetch(
    url: str, *, max_bytes: int, allow: Sequence[AllowRule] | None = None, timeout_s: float = 15.0
) -> FetchedPage:
    """GET ``url`` through the guard, reading at most ``max_bytes``.

    Raises:
        BlockedAddress: the URL, a redirect or a resolved address is not allowed.
        FetchTooLarge: the body exceeds ``max_bytes``.
        httpx.HTTPError: network errors, too many redirects, HTTP status >= 400
            (``httpx.HTTPStatusError``).
    """
    _check_url_shape(url)
    async with guarded_client(allow=allow, timeout_s=timeout_s) as client:
        async with client.stream("GET", url) as response:
            response.raise_for_status()
            declared = response.headers.get("content-length")
            if declared and declared.isdigit() and int(declared) > max_bytes:
                raise FetchTooLarge(f"The page is {int(declared):,} bytes; the limit is {max_bytes:,}.")
            body = bytearray()
            async for piece in response.aiter_bytes():
                body.extend(piece)
                if len(body) > max_bytes:
                    raise FetchTooLarge(f"The page is larger than the {max_bytes:,}-byte limit.")
            content_type = response.headers.get("content-type", "").split(";", 1)[0].strip().lower()
            return FetchedPage(str(response.url), content_type, bytes(body))
