"""The outbound policy for aiohttp: a connector that can only reach allowed addresses.

The same guarantees as :class:`backend.security.outbound.GuardedTransport` (httpx/httpcore), for
clients built on aiohttp (the gateway's model clients, see ``backend.gateway.transport``):

- **names** go through :class:`GuardedResolver`: it resolves with
  :func:`~backend.security.outbound.checked_addresses` (ALL addresses must pass) and raises the
  same ``BlockedAddress`` errors; aiohttp connects only to the addresses it returns, so a DNS
  answer that changes between check and connect (rebinding) cannot switch the target. aiohttp
  caches a name's answers for ``ttl_dns_cache`` seconds: only answers that passed the check.
- **every socket** is checked again right before it connects (:func:`guarded_socket_factory`):
  this covers hosts written as an IP address, which aiohttp never hands to a resolver.
- no environment proxies (``trust_env=False`` is the caller's session setting; nothing here
  reads the environment), TLS verified against the same CA bundle as httpx (certifi), with the
  URL's host name checked against the certificate (aiohttp's default).

Redirects are the caller's business: the gateway's transport follows none.
"""

from __future__ import annotations

import ipaddress
import socket
from collections.abc import Callable, Sequence

import aiohttp
import httpx
from aiohappyeyeballs import AddrInfoType
from aiohttp.abc import AbstractResolver, ResolveResult

from backend.security.addresses import AllowRule, check_address
from backend.security.outbound import checked_addresses

__all__ = ["GuardedResolver", "guarded_connector", "guarded_socket_factory"]


class GuardedResolver(AbstractResolver):
    """aiohttp resolver that returns a name's addresses only if the policy allows every one.

    Args:
        allow: Operator rules (``OutboundPolicy.rules``); empty: public addresses only.
    """

    def __init__(self, allow: Sequence[AllowRule]) -> None:
        self._allow = tuple(allow)

    async def resolve(
        self, host: str, port: int = 0, family: socket.AddressFamily = socket.AF_INET
    ) -> list[ResolveResult]:
        """The checked addresses of ``host`` (IPv4 and IPv6 unless ``family`` restricts).

        Raises:
            BlockedAddress: an address is not allowed, or the name does not resolve.
        """
        out: list[ResolveResult] = []
        for address in await checked_addresses(host, port, self._allow):
            af = socket.AF_INET if address.version == 4 else socket.AF_INET6
            if family in (0, socket.AF_UNSPEC) or family == af:
                out.append(
                    ResolveResult(
                        hostname=host, host=str(address), port=port, family=af, proto=0, flags=socket.AI_NUMERICHOST
                    )
                )
        if not out:
            raise OSError(f"The host name {host} has no address of the requested family.")
        return out

    async def close(self) -> None:
        """Nothing to release."""


def guarded_socket_factory(allow: Sequence[AllowRule]) -> Callable[[AddrInfoType], socket.socket]:
    """A ``socket_factory`` for ``aiohttp.TCPConnector`` that refuses sockets to forbidden addresses.

    Raises (from the factory):
        BlockedAddress: the address about to be connected to is not allowed.
    """
    rules = tuple(allow)

    def factory(addr_info: AddrInfoType) -> socket.socket:
        family, type_, proto, _, sockaddr = addr_info
        address = ipaddress.ip_address(str(sockaddr[0]).split("%", 1)[0])
        check_address(address, int(sockaddr[1]), rules)
        sock = socket.socket(family=family, type=type_, proto=proto)
        sock.setblocking(False)
        return sock

    return factory


def guarded_connector(
    allow: Sequence[AllowRule], *, limit: int = 100, keepalive_s: float = 5.0, ttl_dns_cache_s: int = 10
) -> aiohttp.TCPConnector:
    """An ``aiohttp.TCPConnector`` that can only reach addresses ``allow`` (or public) permits.

    Must be built inside the event loop that will use it.

    Args:
        allow: Operator rules; empty: public addresses only.
        limit: Open connections at most (a stream holds one for its whole length).
        keepalive_s: Seconds an idle connection is kept for reuse.
        ttl_dns_cache_s: Seconds a name's checked addresses are reused.
    """
    return aiohttp.TCPConnector(
        resolver=GuardedResolver(allow),
        socket_factory=guarded_socket_factory(allow),
        ssl=httpx.create_ssl_context(trust_env=False),
        limit=limit,
        keepalive_timeout=keepalive_s,
        ttl_dns_cache=ttl_dns_cache_s,
    )
