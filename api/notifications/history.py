"""/notifications/history and /notifications/analytics: the caller's inbox (§3.10, §5).

Only the recipient sees or opens a row: every statement is scoped by the token's user, so another
user's row answers 404.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Annotated, Any, Final
from uuid import UUID

from litestar import Controller, Request, Response, get, post
from litestar.di import NamedDependency
from litestar.params import FromPath, QueryParameter
from litestar.status_codes import HTTP_200_OK

from api.auth.jwt import AuthUser
from api.notifications.schemas import AnalyticsOut, CategoryStats, MarkAllOpenedOut, NotificationOut, Success
from api.pagination import MAX_LIMIT, decode_cursor, encode_cursor, page_of
from db.notification_inbox import (
    InboxPosition,
    InboxRow,
    inbox_page,
    mark_all_opened,
    mark_opened,
    open_counts_by_type,
)
from domain.errors import NotFound
from domain.notification_types import NotificationType
from services.transaction import Transaction

HISTORY_DEFAULT_LIMIT: Final = 20
# Analytics look back this many days unless asked otherwise (at most a year).
ANALYTICS_DEFAULT_DAYS: Final = 30
# Offset paging is only for the old client; deep offsets are slow, cursors are not.
MAX_OFFSET: Final = 10_000


def open_rate(opened: int, sent: int) -> float:
    """Opened as a percentage of sent, one decimal; 0 when nothing was sent."""
    return round(opened * 100 / sent, 1) if sent else 0.0


class NotificationHistoryController(Controller):
    path = "/notifications"
    tags = ["notifications"]

    @get("/history")
    async def history(
        self,
        request: Request[AuthUser, Any, Any],
        tx: NamedDependency[Transaction],
        limit: Annotated[int, QueryParameter(ge=1, le=MAX_LIMIT)] = HISTORY_DEFAULT_LIMIT,
        cursor: Annotated[str | None, QueryParameter(max_length=512)] = None,
        notification_type: Annotated[NotificationType | None, QueryParameter()] = None,
        offset: Annotated[int | None, QueryParameter(ge=0, le=MAX_OFFSET)] = None,
        page: Annotated[int | None, QueryParameter(ge=1, le=MAX_OFFSET)] = None,
    ) -> Response[list[NotificationOut]]:
        """Newest first. The next page's cursor is in X-Next-Cursor; offset/page are honoured only
        without a cursor (the current client still sends them)."""
        after = None
        if cursor is not None:
            sent_at, row_id = decode_cursor(cursor, datetime, UUID)
            after = InboxPosition(sent_at, row_id)
        skip = offset if offset is not None else ((page - 1) * limit if page is not None else 0)
        rows = await inbox_page(
            tx.connection,
            request.user.id,
            limit=limit + 1,
            after=after,
            offset=skip,
            notification_type=None if notification_type is None else notification_type.value,
        )
        served = page_of(rows, limit, _cursor_of)
        return Response([NotificationOut.of(row) for row in served.rows], headers=served.headers)

    @post("/history/{notification_id:uuid}/opened", status_code=HTTP_200_OK)
    async def opened(
        self,
        request: Request[AuthUser, Any, Any],
        tx: NamedDependency[Transaction],
        now: NamedDependency[datetime],
        notification_id: FromPath[UUID],
    ) -> Success:
        if not await mark_opened(tx.connection, request.user.id, notification_id, now=now):
            raise NotFound("Notification not found.")
        return Success()

    @post("/history/mark-all-opened", status_code=HTTP_200_OK)
    async def mark_all_opened(
        self,
        request: Request[AuthUser, Any, Any],
        tx: NamedDependency[Transaction],
        now: NamedDependency[datetime],
    ) -> MarkAllOpenedOut:
        return MarkAllOpenedOut(updated_count=await mark_all_opened(tx.connection, request.user.id, now=now))

    @get("/analytics")
    async def analytics(
        self,
        request: Request[AuthUser, Any, Any],
        tx: NamedDependency[Transaction],
        now: NamedDependency[datetime],
        days: Annotated[int, QueryParameter(ge=1, le=366)] = ANALYTICS_DEFAULT_DAYS,
    ) -> AnalyticsOut:
        """Notifications received (inbox rows, pushed or not) and opened in the last `days` days."""
        counts = await open_counts_by_type(tx.connection, request.user.id, since=now - timedelta(days=days))
        total_sent = sum(row.sent for row in counts)
        total_opened = sum(row.opened for row in counts)
        return AnalyticsOut(
            total_sent=total_sent,
            total_opened=total_opened,
            open_rate=open_rate(total_opened, total_sent),
            by_category={
                row.notification_type: CategoryStats(row.sent, row.opened, open_rate(row.opened, row.sent))
                for row in counts
            },
        )


def _cursor_of(row: InboxRow) -> str:
    return encode_cursor(row.sent_at, row.id)
