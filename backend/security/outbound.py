"""The outbound-HTTP policy: every server-side request to a user-supplied URL (SSRF protection).

One guard for every URL a user can hand the server: fetches by tools (``fetch_webpage``,
``http_request``, custom HTTP tools), knowledge URLs, OpenAPI imports, and connection base URLs
(model endpoints, used by ``backend.gateway``). Every connection is checked where it is made: the
guarded transport resolves the host name itself, refuses the connection if ANY resolved address
is not allowed, and connects to the address it checked (so DNS rebinding between check and
connect cannot switch it). Redirects go through the same transport. Blocked unless an operator
rule covers them: loopback, RFC 1918 private ranges, link-local (cloud metadata
``169.254.169.254``), CGNAT ``100.64.0.0/10`` (RFC 6598), unspecified, multicast, reserved and
documentation ranges, IPv6 unique-local and link-local, and IPv4 addresses embedded in IPv6
(mapped ``::ffff:0:0/96``, 6to4, Teredo, NAT64 ``64:ff9b::/96``). The rule is Python's
``ipaddress.is_global`` (IANA special-purpose registries, RFC 6890) applied to the address and
to any IPv4 address it embeds.

Two named policies, each with its own operator allow-list, so allowing a local model server
never opens tools and knowledge URLs to the same range:

- **fetch** (:func:`fetch_policy`): ``AGENTHUB_FETCH_ALLOW``;
- **model endpoint** (:func:`model_endpoint_policy`): ``AGENTHUB_MODEL_ENDPOINT_ALLOW``, plus
  loopback (``127.0.0.0/8``, ``::1``) when ``AGENTHUB_ENV=development`` so a local Ollama works.

Allow-list syntax: comma-separated ``CIDR`` (any port) or ``address:port`` entries, e.g.
``"10.1.0.0/16,127.0.0.1:8080,[::1]:8443"``. Environment proxies are never used
(``trust_env=False``): a proxy would make the connection on our behalf, unchecked. URLs are
shape-checked first (:func:`validate_url`): odd host spellings such as ``0177.0.0.1`` or
``2130706433`` are refused as invalid rather than left to a resolver's interpretation.
"""

from __future__ import annotations

import asyncio
import ipaddress
import socket
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import httpcore
import httpx

from backend.security.addresses import (
    INVALID_URL,
    AllowRule,
    BadURL,
    BlockedAddress,
    IPAddress,
    check_address,
    is_public_address,
    parse_allow_rules,
    validate_url,
)

if TYPE_CHECKING:
    from backend.config import Settings

__all__ = [
    "INVALID_URL",
    "LOOPBACK_RULES",
    "AllowRule",
    "BadURL",
    "BlockedAddress",
    "FetchTooLarge",
    "FetchedPage",
    "GuardedTransport",
    "OutboundPolicy",
    "check_address",
    "checked_addresses",
    "fetch",
    "fetch_policy",
    "guarded_client",
    "is_public_address",
    "model_endpoint_policy",
    "parse_allow_rules",
    "resolve",
    "validate_url",
]


@dataclass(frozen=True)
class OutboundPolicy:
    """A named set of operator exceptions to "public addresses only".

    Attributes:
        name: ``"fetch"`` (tools, knowledge URLs, OpenAPI URLs) or ``"model endpoint"``
            (connection base URLs).
        rules: The allow rules; an empty tuple means public addresses only.
    """

    name: str
    rules: tuple[AllowRule, ...]


LOOPBACK_RULES = (AllowRule(ipaddress.ip_network("127.0.0.0/8")), AllowRule(ipaddress.ip_network("::1/128")))


def _settings(settings: Settings | None) -> Settings:
    if settings is not None:
        return settings
    from backend.config import get_settings

    return get_settings()


def fetch_policy(settings: Settings | None = None) -> OutboundPolicy:
    """The policy of tools, knowledge URLs and OpenAPI URLs: ``AGENTHUB_FETCH_ALLOW`` only.

    Raises:
        ValueError: the allow-list has an entry that is not an address or network.
    """
    return OutboundPolicy("fetch", tuple(parse_allow_rules(_settings(settings).fetch_allow)))


def model_endpoint_policy(settings: Settings | None = None) -> OutboundPolicy:
    """The policy of connection base URLs: ``AGENTHUB_MODEL_ENDPOINT_ALLOW``, plus loopback in development.

    Development (``AGENTHUB_ENV=development``, what ``make run`` uses) allows ``127.0.0.0/8`` and
    ``::1`` so a local Ollama or llama.cpp works out of the box; production allows nothing private
    unless listed. These rules never apply to fetches (:func:`fetch_policy`).

    Raises:
        ValueError: the allow-list has an entry that is not an address or network.
    """
    current = _settings(settings)
    rules = tuple(parse_allow_rules(current.model_endpoint_allow))
    if not current.is_production:
        rules = LOOPBACK_RULES + rules
    return OutboundPolicy("model endpoint", rules)


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
    """``httpx.AsyncHTTPTransport`` whose connections go through the guard (no proxies).

    Args:
        allow: Operator rules (``OutboundPolicy.rules``); empty: public addresses only.
        max_connections: Open connections at most (a stream holds one for its whole length).
        max_keepalive_connections: Idle connections kept for reuse (5 s each).
    """

    def __init__(
        self, allow: Sequence[AllowRule] = (), *, max_connections: int = 10, max_keepalive_connections: int = 5
    ) -> None:
        super().__init__(trust_env=False)
        # httpx (pinned <0.29) builds its httpcore pool in __init__ without a network_backend
        # option; swap in an identical pool that uses the guarded backend.
        self._pool = httpcore.AsyncConnectionPool(
            ssl_context=httpx.create_ssl_context(trust_env=False),
            max_connections=max_connections,
            max_keepalive_connections=max_keepalive_connections,
            keepalive_expiry=5.0,
            network_backend=_GuardedBackend(allow),
        )


def guarded_client(
    *, allow: Sequence[AllowRule] | None = None, timeout_s: float = 15.0, max_redirects: int = 5
) -> httpx.AsyncClient:
    """An ``httpx.AsyncClient`` that can only reach allowed addresses, following redirects.

    Args:
        allow: Operator rules; default: :func:`fetch_policy` (``AGENTHUB_FETCH_ALLOW``).
        timeout_s: Connect/read/write timeout, seconds.
        max_redirects: Redirects followed; each target is checked when it is connected to.

    Returns:
        A client to use as an async context manager. Requests to blocked hosts raise
        ``BlockedAddress``; redirects to non-HTTP schemes raise ``httpx.UnsupportedProtocol``.
    """
    if allow is None:
        allow = fetch_policy().rules

    async def check_request(request: httpx.Request) -> None:
        validate_url(str(request.url))

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
    validate_url(url)
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
