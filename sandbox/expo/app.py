"""The ASGI application: routing, latency injection, response encoding and request accounting."""

from __future__ import annotations

import asyncio

from .asgi_io import (
    Receive,
    Request,
    Response,
    Scope,
    Send,
    accepts_gzip,
    error_response,
    html_response,
    make_request,
    reset_connection,
    send_response,
)
from .config import SandboxConfig
from .control import PREFIX as CONTROL_PREFIX
from .control import handle_control
from .push_receipts import handle_get_receipts
from .push_send import handle_send
from .state import SandboxState

SEND_PATH = "/--/api/v2/push/send"
RECEIPTS_PATH = "/--/api/v2/push/getReceipts"


class SandboxApp:
    def __init__(self, state: SandboxState) -> None:
        self.state = state

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        kind = scope["type"]
        if kind == "http":
            path = scope["path"]
            if path in (SEND_PATH, RECEIPTS_PATH):
                await self._expo(scope, receive, send, path == SEND_PATH)
            elif path.startswith(CONTROL_PREFIX):
                response = await handle_control(self.state, make_request(scope), receive)
                await send_response(send, response, gzip_min_bytes=None)
            else:
                self.state.other_requests += 1
                # Assumption (§4.3): Expo's exact 404 body is undocumented.
                message = f"No route for {scope['method']} {path}"
                await send_response(send, error_response(404, "NOT_FOUND", message), gzip_min_bytes=None)
        elif kind == "lifespan":
            await _lifespan(receive, send)

    async def _expo(self, scope: Scope, receive: Receive, send: Send, is_send: bool) -> None:
        state = self.state
        if scope["method"] != "POST":
            state.other_requests += 1
            response = error_response(
                405, "METHOD_NOT_ALLOWED", f"{scope['method']} is not allowed; use POST"
            )
            response.headers.append((b"allow", b"POST"))
            await send_response(send, response, gzip_min_bytes=None)
            return
        request = make_request(scope)
        state.inflight += 1
        if state.inflight > state.max_inflight:
            state.max_inflight = state.inflight
        stats = None
        try:
            if is_send:
                project, response = await handle_send(state, request, receive)
            else:
                project, response = await handle_get_receipts(state, request, receive)
            stats = state.project(project)
            stats.inflight += 1
            if stats.inflight > stats.max_inflight_requests:
                stats.max_inflight_requests = stats.inflight
            if state.connections.enabled and request.client is not None:
                state.connections.used_by(request.client, project)
            if response.reset:
                if await reset_connection(send):
                    stats.send_total += 1  # no status to count: the client never got one
                    return
                response = html_response(502, "Bad Gateway")  # the server hid its transport: next best thing
            if is_send:
                stats.count_send_response(response.status, response.error_code)
            else:
                stats.count_receipt_response(response.status, response.error_code)
            await self._respond(send, request, response, state.config)
        finally:
            state.inflight -= 1
            if stats is not None:
                stats.inflight -= 1

    async def _respond(self, send: Send, request: Request, response: Response, config: SandboxConfig) -> None:
        delay = self.state.faults.latency_s(config.latency_ms, config.latency_jitter_ms)
        if delay > 0:
            await asyncio.sleep(delay)
        gzip_min = config.gzip_min_bytes if config.gzip_responses and accepts_gzip(request.headers) else None
        await send_response(send, response, gzip_min_bytes=gzip_min)


async def _lifespan(receive: Receive, send: Send) -> None:
    # Only used if someone runs the app under a server with lifespan on; there is nothing to set up.
    while True:
        message = await receive()
        if message["type"] == "lifespan.startup":
            await send({"type": "lifespan.startup.complete"})
        elif message["type"] == "lifespan.shutdown":
            await send({"type": "lifespan.shutdown.complete"})
            return


def create_app(config: SandboxConfig | None = None) -> SandboxApp:
    return SandboxApp(SandboxState(config or SandboxConfig()))
