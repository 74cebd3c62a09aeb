"""Warnings for the Tools card's "Allowed domains": hosts the outbound policy will always refuse.

An allowed domain only lets the agent *ask* for a host: ``http_request`` still goes through the
fetch policy (``backend.security.outbound.fetch_policy``), which refuses private, loopback,
link-local and cloud-metadata addresses unless the operator's ``AGENTHUB_FETCH_ALLOW`` covers
them. Listing such a host is not an error (the operator may allow it later), but the builder
says so. Pure functions, no DNS lookups.
"""

from __future__ import annotations

import ipaddress
from collections.abc import Sequence

from backend.security.addresses import AllowRule, IPAddress, is_public_address

_LOCAL_NAMES = ("localhost", "localhost.localdomain", "metadata.google.internal", "metadata")
_LOCAL_SUFFIXES = (".localhost", ".local", ".internal", ".home.arpa", ".lan")
_METADATA = (ipaddress.ip_address("169.254.169.254"), ipaddress.ip_address("fd00:ec2::254"))


def _kind(address: IPAddress) -> str:
    if address in _METADATA:
        return "a cloud metadata address"
    if address.is_loopback:
        return "a loopback address"
    if address.is_link_local:
        return "a link-local address"
    if address.is_private:
        return "a private address"
    return "a reserved address"


def _host(entry: str) -> str:
    host = entry.strip().lower().removeprefix("*.").rstrip(".")
    if host.startswith("[") and "]" in host:
        return host[1 : host.index("]")]
    if host.count(":") == 1:  # host:port
        return host.split(":")[0]
    return host


def domain_warnings(domains: Sequence[str], allow: Sequence[AllowRule] = ()) -> list[str]:
    """One sentence per entry that will be refused, e.g. ``"127.0.0.1 is a loopback address: …"``.

    Args:
        domains: The entries as typed (host names, ``*.domain``, IP addresses, optional port).
        allow: The operator's fetch allow rules; an address they cover gets no warning (any port).

    Returns:
        The warnings in input order; empty when every entry may be reached.
    """
    out: list[str] = []
    for entry in domains:
        host = _host(entry)
        if not host:
            continue
        try:
            address = ipaddress.ip_address(host)
        except ValueError:
            if host in _LOCAL_NAMES or host.endswith(_LOCAL_SUFFIXES):
                out.append(
                    f"{entry.strip()} names a machine on the local network: requests to it will be refused "
                    "(only public addresses can be reached)."
                )
            continue
        if is_public_address(address) or any(
            r.network.version == address.version and address in r.network for r in allow
        ):
            continue
        out.append(
            f"{entry.strip()} is {_kind(address)}: requests to it will be refused unless the operator allows it "
            "(AGENTHUB_FETCH_ALLOW)."
        )
    return out
