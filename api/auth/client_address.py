"""The client's IP address: the socket peer, or the X-Forwarded-For entry written by the outermost of
TRUSTED_PROXY_COUNT proxies. Entries further left are whatever the client sent and are never trusted
(a client could otherwise pick its own rate-limit key)."""

from __future__ import annotations

import ipaddress
from typing import Any

from litestar.connection import ASGIConnection


def _valid_ip(value: str | None) -> str | None:
    if value is None:
        return None
    try:
        return str(ipaddress.ip_address(value.strip()))
    except ValueError:
        return None


def client_ip(connection: ASGIConnection[Any, Any, Any, Any], trusted_proxy_count: int) -> str | None:
    """The client's address as a normalised IP string, or None when none can be told."""
    socket_ip = _valid_ip(connection.client.host if connection.client else None)
    if trusted_proxy_count <= 0:
        return socket_ip
    forwarded = [
        entry.strip()
        for header in connection.headers.getall("x-forwarded-for", [])
        for entry in header.split(",")
        if entry.strip()
    ]
    if len(forwarded) < trusted_proxy_count:
        # The request did not pass through every trusted proxy: only the socket is known to be real.
        return socket_ip
    return _valid_ip(forwarded[-trusted_proxy_count]) or socket_ip
