"""The user's notification inbox (notification_history read side, §3.10): pages, opens, open rates.

Every statement is scoped by the recipient, so another user's row is simply not found (404 upstream).
Pages walk the (user_id, sent_at DESC, id DESC) index with a keyset position.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any
from uuid import UUID

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncConnection

from db.tables import notification_history

__all__ = [
    "InboxPosition",
    "InboxRow",
    "TypeOpenCounts",
    "inbox_page",
    "mark_all_opened",
    "mark_opened",
    "open_counts_by_type",
]

_inbox = notification_history.c


@dataclass(frozen=True, slots=True)
class InboxRow:
    id: UUID
    notification_type: str
    title: str
    body: str
    data: dict[str, Any]
    sent_at: datetime
    delivered_at: datetime | None
    opened_at: datetime | None
    entity_type: str | None
    entity_id: UUID | None
    created_at: datetime


@dataclass(frozen=True, slots=True)
class InboxPosition:
    """The keyset position of the last row served: the next page starts strictly after it."""

    sent_at: datetime
    id: UUID


@dataclass(frozen=True, slots=True)
class TypeOpenCounts:
    notification_type: str
    sent: int
    opened: int


async def inbox_page(
    connection: AsyncConnection,
    user_id: UUID,
    *,
    limit: int,
    after: InboxPosition | None = None,
    offset: int = 0,
    notification_type: str | None = None,
) -> list[InboxRow]:
    """Up to `limit` inbox rows, newest first, after the keyset position (or skipping `offset` rows,
    for clients that still page by offset)."""
    query = (
        sa.select(
            _inbox.id,
            _inbox.notification_type,
            _inbox.title,
            _inbox.body,
            _inbox.data,
            _inbox.sent_at,
            _inbox.delivered_at,
            _inbox.opened_at,
            _inbox.entity_type,
            _inbox.entity_id,
            _inbox.created_at,
        )
        .where(_inbox.user_id == user_id)
        .order_by(_inbox.sent_at.desc(), _inbox.id.desc())
        .limit(limit)
    )
    if notification_type is not None:
        query = query.where(_inbox.notification_type == notification_type)
    if after is not None:
        query = query.where(sa.tuple_(_inbox.sent_at, _inbox.id) < sa.tuple_(after.sent_at, after.id))
    elif offset:
        query = query.offset(offset)
    return [InboxRow(**row._mapping) for row in await connection.execute(query)]


async def mark_opened(
    connection: AsyncConnection, user_id: UUID, notification_id: UUID, *, now: datetime
) -> bool:
    """Set opened_at the first time; later calls keep the first instant. False when not the user's row."""
    first_open = _inbox.opened_at.is_(None)
    result = await connection.execute(
        sa.update(notification_history)
        .where(_inbox.id == notification_id, _inbox.user_id == user_id)
        .values(
            opened_at=sa.func.coalesce(_inbox.opened_at, now),
            updated_at=sa.case((first_open, now), else_=_inbox.updated_at),
        )
        .returning(_inbox.id)
    )
    return result.first() is not None


async def mark_all_opened(connection: AsyncConnection, user_id: UUID, *, now: datetime) -> int:
    """Open every unopened row of the user; returns how many changed."""
    result = await connection.execute(
        sa.update(notification_history)
        .where(_inbox.user_id == user_id, _inbox.opened_at.is_(None))
        .values(opened_at=now, updated_at=now)
    )
    return int(result.rowcount)


async def open_counts_by_type(
    connection: AsyncConnection, user_id: UUID, *, since: datetime
) -> list[TypeOpenCounts]:
    """Rows received and opened since `since`, per notification type (one grouped scan of the user's
    (user_id, notification_type, sent_at) index range)."""
    result = await connection.execute(
        sa.select(
            _inbox.notification_type,
            sa.func.count().label("sent"),
            sa.func.count(_inbox.opened_at).label("opened"),
        )
        .where(_inbox.user_id == user_id, _inbox.sent_at >= since)
        .group_by(_inbox.notification_type)
        .order_by(_inbox.notification_type)
    )
    return [TypeOpenCounts(row.notification_type, int(row.sent), int(row.opened)) for row in result]
