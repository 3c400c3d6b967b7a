"""Which requests serve-web answers, and who each tab's client is.

Browsers let any page open a websocket to any address, loopback included, and aiohttp and
textual-serve check neither the page's Origin nor the Host it asked for. So a request must name
this server in its Host header (a foreign name that resolves here is DNS rebinding), and a
websocket upgrade must come from a page of this server or of an origin the operator allowed (a
missing Origin is refused too: browsers always send one). The client's address is the socket's
peer, or the last X-Forwarded-For entry when the peer is a proxy the operator trusts.
"""

from __future__ import annotations

from dataclasses import dataclass
from urllib.parse import urlsplit

from secconsole.forwarded import Address, client_address, is_loopback, trusted

DEFAULT_PORTS = {"http": 80, "https": 443}
LOOPBACK_NAMES = ("localhost", "127.0.0.1", "::1")

#: (scheme, host, port) with the host in lower case and without IPv6 brackets.
Endpoint = tuple[str, str, int]


def parse_origin(text: str) -> Endpoint | None:
    """``scheme://host[:port]`` as a browser sends it in Origin (and an operator types it); None
    when it is not one (``null``, a path, another scheme, a bad port)."""
    try:
        parts = urlsplit(text.strip())
        port = parts.port
    except ValueError:
        return None
    if parts.scheme not in DEFAULT_PORTS or not parts.hostname or parts.path not in ("", "/") \
            or parts.query or parts.fragment or parts.username or parts.password:
        return None
    return parts.scheme, parts.hostname.lower(), port or DEFAULT_PORTS[parts.scheme]


def origin_of(url: str) -> Endpoint | None:
    """The origin of a page address such as --public-url (which may have a path)."""
    try:
        parts = urlsplit(url.strip())
    except ValueError:
        return None
    return parse_origin(f"{parts.scheme}://{parts.netloc}")


def parse_host(text: str) -> tuple[str, int | None] | None:
    """A Host header: the name and the port when one is given."""
    try:
        parts = urlsplit("//" + text.strip())
        port = parts.port
    except ValueError:
        return None
    if not parts.hostname or parts.path or parts.username or parts.password:
        return None
    return parts.hostname.lower(), port


def format_origin(endpoint: Endpoint) -> str:
    scheme, host, port = endpoint
    name = f"[{host}]" if ":" in host else host
    return f"{scheme}://{name}" + ("" if DEFAULT_PORTS[scheme] == port else f":{port}")


@dataclass(frozen=True)
class Gate:
    #: Origins whose pages may open a console: this server's own addresses and the operator's list.
    origins: frozenset[Endpoint]
    #: Peers whose X-Forwarded-For names the client.
    trusted_proxies: frozenset[Address]

    @classmethod
    def build(cls, *, host: str, port: int, public_url: str | None = None, allow_origins=(),
              trusted_proxies=()) -> Gate:
        names = {host.lower().strip("[]")}
        if is_loopback(host):
            names.update(LOOPBACK_NAMES)
        origins = {("http", name, port) for name in names}
        endpoints = [origin_of(public_url)] if public_url else []
        endpoints += [parse_origin(url) for url in allow_origins]
        if None in endpoints:
            raise ValueError("--public-url and --allow-origin take scheme://host[:port]")
        origins.update(endpoints)
        return cls(frozenset(origins), trusted(trusted_proxies))

    def own(self, local: tuple[str, int] | None) -> set[Endpoint]:
        """The allowed origins plus the address this connection arrived at (a wildcard listener's
        real address; an IP literal cannot be rebound)."""
        extra = {("http", local[0].lower(), local[1])} if local else set()
        return set(self.origins) | extra

    def refusal(self, headers, *, websocket: bool, local: tuple[str, int] | None = None) -> str | None:
        """Why this request is refused, or None. ``headers``: the request's (case-insensitive)."""
        allowed = self.own(local)
        host = parse_host(headers.get("Host", ""))
        if host is None:
            return "no valid Host header"
        name, port = host
        if not any(name == h and (port == p or port is None and p == DEFAULT_PORTS[s]) for s, h, p in allowed):
            return f"foreign Host {headers.get('Host')!r}"
        if websocket:
            origin = headers.get("Origin")
            if origin is None:
                return "websocket without an Origin"
            if parse_origin(origin) not in allowed:
                return f"websocket from foreign Origin {origin!r}"
        return None

    def client(self, peer: str | None, forwarded_for: str | None) -> str:
        """The client's address (``forwarded.client_address``); ValueError when a trusted proxy names
        no valid address."""
        return client_address(peer, forwarded_for, self.trusted_proxies)
