"""Who a web request's client is: the socket's peer, or the last X-Forwarded-For entry when the
peer is a reverse proxy the operator trusts (``--trusted-proxy``). Shared by serve-web
(``web.gate``) and serve-api (``api.app``); the standard library only."""

from __future__ import annotations

import ipaddress

Address = ipaddress.IPv4Address | ipaddress.IPv6Address


def is_ip_address(text: str) -> bool:
    try:
        ipaddress.ip_address(text)
    except ValueError:
        return False
    return True


def is_loopback(host: str) -> bool:
    """``localhost`` or a loopback address (where plain HTTP is allowed and nobody else listens)."""
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def trusted(addresses) -> frozenset[Address]:
    """The ``--trusted-proxy`` addresses (each already checked with ``is_ip_address``)."""
    return frozenset(ipaddress.ip_address(a) for a in addresses)


def client_address(peer: str | None, forwarded_for: str | None, proxies: frozenset[Address]) -> str:
    """The client's address for the audit trail and per-source limits. Raises ValueError when the
    peer is not an address or a trusted proxy names no valid address (the last entry: the one
    the proxy itself added; earlier ones are whatever the client sent)."""
    try:
        address = ipaddress.ip_address(peer or "")
    except ValueError:
        raise ValueError(f"the peer address {peer!r} is not an IP address") from None
    if address in proxies and forwarded_for:
        last = forwarded_for.split(",")[-1].strip()
        try:
            return str(ipaddress.ip_address(last))
        except ValueError:
            raise ValueError(f"the proxy's X-Forwarded-For ends in {last[:60]!r}, not an IP address") from None
    return str(address)
