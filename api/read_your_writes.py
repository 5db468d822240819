"""With a read replica: remembers, for each user whose request may have written, where the primary's
WAL stood once the request's work had committed (services/read_replica.py `note_write`), so that the
user's next reads wait for the replica to get there or go to the primary.

It runs when the response starts, which is after the request's transaction has committed (Litestar
cleans up the `tx` dependency before sending) and before the client can ask anything else. Writes are
the unsafe methods, plus the GET routes marked `opt={WRITES: True}` (a GET that creates a row).
Failed requests wrote nothing: they rolled back.
"""

from __future__ import annotations

import logging
from typing import Final

from litestar.enums import ScopeType
from litestar.middleware import ASGIMiddleware
from litestar.types import ASGIApp, Message, Receive, Scope, Send

from api.resources import app_resources

__all__ = ["WRITES", "ReadYourWrites"]

logger = logging.getLogger(__name__)

# The route option of a GET handler that writes.
WRITES: Final = "writes"
SAFE_METHODS: Final = frozenset({"GET", "HEAD", "OPTIONS"})
FAILED_FROM: Final = 400


class ReadYourWrites(ASGIMiddleware):
    scopes = (ScopeType.HTTP,)

    async def handle(self, scope: Scope, receive: Receive, send: Send, next_app: ASGIApp) -> None:
        replica = app_resources(scope["litestar_app"]).replica
        if replica is None:
            await next_app(scope, receive, send)
            return

        async def send_after_noting(message: Message) -> None:
            if message["type"] == "http.response.start" and message["status"] < FAILED_FROM:
                user = scope.get("user")
                if user is not None and _may_write(scope):
                    try:
                        await replica.note_write(user.id)
                    except Exception:
                        # The write has committed: its answer must leave. The user's next reads may
                        # then see the replica's older state until it catches up.
                        logger.exception("the write position for read-your-writes was not stored")
            await send(message)

        await next_app(scope, receive, send_after_noting)


def _may_write(scope: Scope) -> bool:
    if scope["type"] == ScopeType.HTTP and scope["method"] not in SAFE_METHODS:
        return True
    handler = scope.get("route_handler")
    return handler is not None and bool(handler.opt.get(WRITES))
