"""The sink: aiosmtpd on one socket, a small JSON view over HTTP (uvicorn) on another, one event loop.

HTTP:
    GET    /messages[?to=<address>]  → {"messages": [{id, received_at, mail_from, recipients, subject,
                                        message_id, text, html}, …]} oldest first
    DELETE /messages                 → {"cleared": true}
    GET    /healthz                  → {"ok": true}
"""

from __future__ import annotations

import asyncio
import json
import socket
from collections.abc import Awaitable, Callable
from typing import Any
from urllib.parse import parse_qs

import uvicorn
from aiosmtpd.smtp import SMTP, Envelope, Session

from .mailbox import Mailbox

Receive = Callable[[], Awaitable[dict[str, Any]]]
Send = Callable[[dict[str, Any]], Awaitable[None]]


# Recipients whose local part starts with this are refused for good (550), so clients can be tested
# against a permanent refusal; everything else is accepted.
REFUSED_PREFIX = "refused"


class SinkHandler:
    """aiosmtpd's handler: every message is accepted and kept, except to REFUSED_PREFIX… recipients."""

    def __init__(self, mailbox: Mailbox) -> None:
        self.mailbox = mailbox

    async def handle_RCPT(  # noqa: N802 (the hook name aiosmtpd calls)
        self, server: SMTP, session: Session, envelope: Envelope, address: str, rcpt_options: list[str]
    ) -> str:
        if address.lower().startswith(REFUSED_PREFIX):
            return "550 5.1.1 Mailbox unavailable (the sink refuses this address)"
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(  # noqa: N802 (the hook name aiosmtpd calls)
        self, server: SMTP, session: Session, envelope: Envelope
    ) -> str:
        content = envelope.original_content or b""
        self.mailbox.add(str(envelope.mail_from), [str(rcpt) for rcpt in envelope.rcpt_tos], content)
        return "250 Message accepted for delivery"


class MailboxView:
    """A raw ASGI app (no framework: three routes)."""

    def __init__(self, mailbox: Mailbox) -> None:
        self.mailbox = mailbox

    async def __call__(self, scope: dict[str, Any], receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            return
        method, path = scope["method"], scope["path"].rstrip("/")
        if path == "/messages" and method == "GET":
            query = parse_qs(scope.get("query_string", b"").decode())
            to = query.get("to", [None])[0]
            await self._json(send, 200, {"messages": self.mailbox.list(to)})
        elif path == "/messages" and method == "DELETE":
            self.mailbox.clear()
            await self._json(send, 200, {"cleared": True})
        elif path == "/healthz":
            await self._json(send, 200, {"ok": True})
        else:
            await self._json(send, 404, {"error": f"no route {method} {path}"})

    @staticmethod
    async def _json(send: Send, status: int, body: object) -> None:
        payload = json.dumps(body).encode()
        headers = [(b"content-type", b"application/json"), (b"content-length", str(len(payload)).encode())]
        await send({"type": "http.response.start", "status": status, "headers": headers})
        await send({"type": "http.response.body", "body": payload})


def bind_socket(host: str, port: int) -> socket.socket:
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    try:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        sock.bind((host, port))
        sock.listen(128)
    except OSError:
        sock.close()
        raise
    sock.setblocking(False)
    return sock


def address(sock: socket.socket) -> tuple[str, int]:
    host, port = sock.getsockname()[:2]
    return str(host), int(port)


class Sink:
    """Both servers on pre-bound sockets, so their ports are known before serving."""

    def __init__(
        self, smtp_sock: socket.socket, http_sock: socket.socket, *, log_level: str = "warning"
    ) -> None:
        self.mailbox = Mailbox()
        self.smtp_sock = smtp_sock
        self.http_sock = http_sock
        config = uvicorn.Config(
            MailboxView(self.mailbox), log_level=log_level, lifespan="off", access_log=False
        )
        self.http = uvicorn.Server(config)

    @property
    def smtp_address(self) -> tuple[str, int]:
        return address(self.smtp_sock)

    @property
    def http_url(self) -> str:
        host, port = address(self.http_sock)
        return f"http://{host}:{port}"

    async def serve(self, on_ready: Callable[[], None]) -> None:
        handler = SinkHandler(self.mailbox)
        loop = asyncio.get_running_loop()
        smtp_server = await loop.create_server(
            lambda: SMTP(handler, hostname="fitnudge-smtp-sink"), sock=self.smtp_sock
        )
        http_task = asyncio.create_task(self.http.serve(sockets=[self.http_sock]))
        try:
            # uvicorn offers no startup event to wait on; `started` is its public flag.
            while not self.http.started and not http_task.done():  # noqa: ASYNC110
                await asyncio.sleep(0.01)
            if self.http.started:
                on_ready()
            await http_task
        finally:
            smtp_server.close()
            await smtp_server.wait_closed()

    def stop(self) -> None:
        self.http.should_exit = True
