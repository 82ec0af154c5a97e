"""The address a request really came from: the peer, or what a trusted proxy says it saw.

``X-Forwarded-For`` is written by whoever sends the request, so it is believed only when the
peer is one of ``JOST_TRUSTED_PROXIES`` (addresses or networks); then the header is read from
the right, skipping trusted proxies, and the first other address is the client. Unset, the
header is ignored: a client cannot pick the address its requests are counted under.
"""

from __future__ import annotations

import ipaddress
from functools import lru_cache
from typing import Any

from django.conf import settings

Network = ipaddress.IPv4Network | ipaddress.IPv6Network


@lru_cache(maxsize=8)
def _networks(spec: tuple[str, ...]) -> tuple[Network, ...]:
    return tuple(ipaddress.ip_network(item, strict=False) for item in spec)


def _trusted(address: str, networks: tuple[Network, ...]) -> bool:
    try:
        ip = ipaddress.ip_address(address.strip().strip("[]"))
    except ValueError:
        return False
    return any(ip in network for network in networks)


def client_address(request: Any) -> str:
    """The client's address for counting (throttles, login attempts)."""
    meta = getattr(request, "META", {})
    peer = str(meta.get("REMOTE_ADDR") or "")
    networks = _networks(tuple(settings.JOST_TRUSTED_PROXIES))
    if not networks or not _trusted(peer, networks):
        return peer or "unknown"
    hops = [h.strip() for h in str(meta.get("HTTP_X_FORWARDED_FOR") or "").split(",")]
    for hop in reversed([h for h in hops if h]):
        if not _trusted(hop, networks):
            return hop[:64]
    return peer
