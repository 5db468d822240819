"""Each request's id: the caller's `X-Request-ID` when it is a sane token, else a new one; set for the
request's log lines and the messages it enqueues (services/log_context.py), and sent back."""

from __future__ import annotations

import re
import uuid
from typing import Final

from litestar.middleware import ASGIMiddleware
from litestar.types import ASGIApp, Message, Receive, Scope, Send

from services.log_context import REQUEST_ID

__all__ = ["RequestIds"]

HEADER: Final = b"x-request-id"
# What a proxy or a client may choose (uuid, hex, ULIDs…); anything else is replaced, never logged.
ACCEPTED_ID: Final = re.compile(rb"^[A-Za-z0-9._-]{1,64}$")


class RequestIds(ASGIMiddleware):
    async def handle(self, scope: Scope, receive: Receive, send: Send, next_app: ASGIApp) -> None:
        given = next((value for name, value in scope.get("headers", ()) if name == HEADER), b"")
        request_id = given.decode() if ACCEPTED_ID.match(given) else uuid.uuid4().hex
        token = REQUEST_ID.set(request_id)

        async def send_with_id(message: Message) -> None:
            if message["type"] == "http.response.start":
                message["headers"] = [*message.get("headers", ()), (HEADER, request_id.encode())]
            await send(message)

        try:
            await next_app(scope, receive, send_with_id)
        finally:
            REQUEST_ID.reset(token)
