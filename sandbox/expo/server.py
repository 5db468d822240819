"""Running the app under uvicorn on a pre-bound socket (so the port is known before serving)."""

from __future__ import annotations

import asyncio
import socket
from collections.abc import Callable
from typing import Any

import uvicorn

from .app import SandboxApp
from .connections import ConnectionTracker


def bind_socket(host: str, port: int) -> socket.socket:
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    sock = socket.socket(family, socket.SOCK_STREAM)
    try:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        sock.bind((host, port))
        sock.listen(2048)
    except OSError:
        sock.close()
        raise
    return sock


def base_url_for(sock: socket.socket) -> str:
    host, port = sock.getsockname()[:2]
    return f"http://[{host}]:{port}" if ":" in host else f"http://{host}:{port}"


def _tracking_protocol(tracker: ConnectionTracker) -> type[asyncio.Protocol]:
    """uvicorn's HTTP protocol, reporting connection open/close to the tracker.

    ASGI never tells an app about connections, and Expo's concurrency advice is about connections.
    """
    base: Any
    try:
        from uvicorn.protocols.http.httptools_impl import HttpToolsProtocol

        base = HttpToolsProtocol
    except ImportError:  # pragma: no cover - httptools ships with uvicorn[standard]
        from uvicorn.protocols.http.h11_impl import H11Protocol

        base = H11Protocol

    class TrackingProtocol(base):  # type: ignore[misc]
        def connection_made(self, transport: asyncio.BaseTransport) -> None:
            super().connection_made(transport)
            tracker.opened(self.client)

        def connection_lost(self, exc: Exception | None) -> None:
            tracker.closed(self.client)
            super().connection_lost(exc)

    tracker.enabled = True
    return TrackingProtocol


class SandboxServer(uvicorn.Server):
    """A uvicorn server that calls `on_started` once it is accepting connections."""

    def __init__(self, config: uvicorn.Config, on_started: Callable[[], None]) -> None:
        super().__init__(config)
        self._on_started = on_started

    async def startup(self, sockets: list[socket.socket] | None = None) -> None:
        await super().startup(sockets=sockets)
        if self.started:
            self._on_started()

    async def main_loop(self) -> None:
        # uvicorn notices `should_exit` only every 100 ms; tests start and stop sandboxes per test, so
        # look every 10 ms and keep uvicorn's 100 ms tick (date header, housekeeping) as it is.
        counter = 0
        should_exit = await self.on_tick(counter)
        while not should_exit:
            for _ in range(10):
                await asyncio.sleep(0.01)
                if self.should_exit:
                    break
            counter = (counter + 1) % 864_000
            should_exit = await self.on_tick(counter)


def uvicorn_config(app: Any, http: type[asyncio.Protocol] | str, log_level: str) -> uvicorn.Config:
    """The settings every uvicorn-served sandbox shares (the OpenAI stub uses them too)."""
    return uvicorn.Config(
        app,
        http=http,
        loop="auto",  # uvloop when installed
        lifespan="off",
        access_log=False,
        log_config=None,  # never reconfigure the host process's logging (pytest, benchmarks)
        log_level=log_level,
        # Forwarded headers would rewrite scope["client"] and break connection accounting.
        proxy_headers=False,
        server_header=False,
        timeout_graceful_shutdown=1,
    )


def build_server(
    app: SandboxApp, on_started: Callable[[], None], log_level: str = "warning"
) -> SandboxServer:
    config = uvicorn_config(app, _tracking_protocol(app.state.connections), log_level)
    return SandboxServer(config, on_started)
