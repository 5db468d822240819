"""/nudges routes (docs/domain.md §3.5, §5). Handlers are thin: the caller from the token, the request's
transaction and `now`, then api/nudges/sending.py or one statement of db/nudges.py.

Only the recipient reads or marks a nudge received; either the sender or the recipient may delete it
(docs/api.md). Every statement is scoped by the caller, so anyone else's nudge answers 404.
"""

from __future__ import annotations

from datetime import datetime
from typing import Final
from uuid import UUID

from litestar import Controller, Response, delete, get, patch, post
from litestar.di import NamedDependency
from litestar.params import FromPath, FromQuery, JSONBody
from litestar.status_codes import HTTP_200_OK, HTTP_201_CREATED
from sqlalchemy.ext.asyncio import AsyncConnection

from api.auth.request import AuthRequest
from api.nudges.schemas import MessageOut, NudgeCreateIn, NudgeOut, ReadAllOut, UnreadCountOut
from api.nudges.sending import send_nudge
from api.pagination import Cursor, Limit, Offset, decode_cursor, encode_cursor, page_of
from db.nudges import (
    NudgePosition,
    NudgeRow,
    count_unread_nudges,
    delete_nudge,
    mark_all_nudges_read,
    mark_nudge_read,
    nudge_page,
)
from domain.errors import NotFound
from services.transaction import Transaction

DEFAULT_PAGE_SIZE: Final = 50


class NudgeController(Controller):
    path = "/nudges"
    tags = ["nudges"]

    @post("/", status_code=HTTP_201_CREATED)
    async def send(
        self,
        request: AuthRequest,
        data: JSONBody[NudgeCreateIn],
        tx: NamedDependency[Transaction],
        now: NamedDependency[datetime],
    ) -> NudgeOut:
        return NudgeOut.of(await send_nudge(tx, request.user.id, data, now=now))

    @get("/")
    async def received(
        self,
        request: AuthRequest,
        single_read: NamedDependency[AsyncConnection],
        unread_only: FromQuery[bool] = False,
        limit: Limit = DEFAULT_PAGE_SIZE,
        cursor: Cursor = None,
        offset: Offset = None,
    ) -> Response[list[NudgeOut]]:
        """Newest first; the next page's cursor is in X-Next-Cursor (offset only without a cursor)."""
        return await _page(
            single_read,
            request.user.id,
            sent=False,
            unread_only=unread_only,
            limit=limit,
            cursor=cursor,
            offset=offset,
        )

    @get("/sent")
    async def sent(
        self,
        request: AuthRequest,
        single_read: NamedDependency[AsyncConnection],
        limit: Limit = DEFAULT_PAGE_SIZE,
        cursor: Cursor = None,
        offset: Offset = None,
    ) -> Response[list[NudgeOut]]:
        return await _page(
            single_read,
            request.user.id,
            sent=True,
            unread_only=False,
            limit=limit,
            cursor=cursor,
            offset=offset,
        )

    @get("/unread-count")
    async def unread_count(
        self, request: AuthRequest, single_read: NamedDependency[AsyncConnection]
    ) -> UnreadCountOut:
        return UnreadCountOut(unread_count=await count_unread_nudges(single_read, request.user.id))

    @patch("/{nudge_id:uuid}/read")
    async def mark_read(
        self,
        request: AuthRequest,
        tx: NamedDependency[Transaction],
        now: NamedDependency[datetime],
        nudge_id: FromPath[UUID],
    ) -> MessageOut:
        if not await mark_nudge_read(tx.connection, request.user.id, nudge_id, now=now):
            raise _nudge_not_found()
        return MessageOut(message="Nudge marked as read.")

    @patch("/read-all")
    async def mark_all_read(
        self, request: AuthRequest, tx: NamedDependency[Transaction], now: NamedDependency[datetime]
    ) -> ReadAllOut:
        count = await mark_all_nudges_read(tx.connection, request.user.id, now=now)
        return ReadAllOut(message=f"Marked {count} nudges as read.", count=count)

    @delete("/{nudge_id:uuid}", status_code=HTTP_200_OK)
    async def remove(
        self, request: AuthRequest, tx: NamedDependency[Transaction], nudge_id: FromPath[UUID]
    ) -> MessageOut:
        if not await delete_nudge(tx.connection, request.user.id, nudge_id):
            raise _nudge_not_found()
        return MessageOut(message="Nudge deleted.")


def _nudge_not_found() -> NotFound:
    return NotFound("Nudge not found.", code="nudge_not_found")


async def _page(
    connection: AsyncConnection,
    user_id: UUID,
    *,
    sent: bool,
    unread_only: bool,
    limit: int,
    cursor: str | None,
    offset: int | None,
) -> Response[list[NudgeOut]]:
    after = None
    if cursor is not None:
        created_at, nudge_id = decode_cursor(cursor, datetime, UUID)
        after = NudgePosition(created_at, nudge_id)
    rows = await nudge_page(
        connection,
        user_id,
        sent=sent,
        unread_only=unread_only,
        limit=limit + 1,
        after=after,
        offset=offset or 0,
    )
    served = page_of(rows, limit, _cursor_of)
    return Response([NudgeOut.of(row) for row in served.rows], headers=served.headers)


def _cursor_of(row: NudgeRow) -> str:
    return encode_cursor(row.created_at, row.id)
