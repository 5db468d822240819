"""Nudges and cheers between accepted partners (§3.5): the locked partnership, the limited insert,
the inbox pages and the read / delete writes.

Sending runs two statements in the request's transaction: `lock_partnership_to_nudge` locks the
accepted partnership row (FOR UPDATE, after key-sharing the two users rows), and `insert_nudge` counts
the day's nudges of the type and inserts only below the limit. Every send between the pair queues on
that one row lock, so the count always sees the rows of the sends before it, and a concurrent remove
or block either waits for the send or makes the lock find no accepted row. Every read and write is
scoped to the caller: a nudge the caller neither sent nor received is not found.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from typing import Any, Final
from uuid import UUID

import sqlalchemy as sa
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.ext.asyncio import AsyncConnection

from db.tables import accountability_partners, goals, notification_history, social_nudges, users
from domain.notification_types import EntityType

__all__ = [
    "NewNudge",
    "NudgePosition",
    "NudgeRow",
    "NudgeSender",
    "PartnershipToNudge",
    "count_unread_nudges",
    "delete_nudge",
    "insert_nudge",
    "key_share_pair_goal",
    "lock_partnership_to_nudge",
    "mark_all_nudges_read",
    "mark_nudge_read",
    "nudge_page",
]

_nudge = social_nudges.c
_pair = accountability_partners.c


@dataclass(frozen=True, slots=True)
class NudgeSender:
    """The sender as a Nudge shows it."""

    id: UUID
    name: str
    username: str
    profile_picture_url: str | None


@dataclass(frozen=True, slots=True)
class NudgeRow:
    id: UUID
    sender_id: UUID
    recipient_id: UUID
    nudge_type: str
    message: str | None
    emoji: str | None
    goal_id: UUID | None
    challenge_id: UUID | None
    partnership_id: UUID
    is_read: bool
    read_at: datetime | None
    created_at: datetime
    sender: NudgeSender


@dataclass(frozen=True, slots=True)
class PartnershipToNudge:
    """The locked accepted partnership and the sender (with the zone that dates the nudge)."""

    partnership_id: UUID
    sender: NudgeSender
    sender_timezone: str


def _pair_key(first: Any, second: Any) -> sa.ColumnElement[bool]:
    """The unordered pair, matched on the expressions of uq_accountability_partners_pair."""
    return sa.and_(
        sa.func.least(_pair.user_id, _pair.partner_user_id) == sa.func.least(first, second),
        sa.func.greatest(_pair.user_id, _pair.partner_user_id) == sa.func.greatest(first, second),
    )


_SENDER_ID = sa.bindparam("sender_id", type_=users.c.id.type)
_RECIPIENT_ID = sa.bindparam("recipient_id", type_=users.c.id.type)

_sender = users.alias("sender")
_recipient = users.alias("recipient")

_LOCK_PARTNERSHIP: Final = (
    sa.select(
        _pair.id,
        _sender.c.name,
        _sender.c.username,
        _sender.c.profile_picture_url,
        _sender.c.timezone,
    )
    .select_from(_sender)
    # A disabled or suspended partner receives nothing (their partnerships are deleted daily anyway).
    .join(_recipient, sa.and_(_recipient.c.id == _RECIPIENT_ID, _recipient.c.status == "active"))
    .join(accountability_partners, _pair_key(_SENDER_ID, _RECIPIENT_ID))
    .where(_sender.c.id == _SENDER_ID, _pair.status == "accepted")
    # The two users rows first, with the key-share lock the nudge's foreign keys take anyway: an
    # account deletion locks its users row before its cascade reaches the partnership, so taking the
    # partnership first and the user later (at the insert) could deadlock with it. PostgreSQL takes
    # the row locks in the order of these clauses.
    .with_for_update(key_share=True, read=True, of=[_sender, _recipient])
    .suffix_with("FOR UPDATE OF accountability_partners")
)


async def lock_partnership_to_nudge(
    connection: AsyncConnection, *, sender_id: UUID, recipient_id: UUID
) -> PartnershipToNudge | None:
    """Lock the pair's accepted partnership row until the transaction ends (and key-share both users
    rows); None when the two are not accepted partners (no row, pending, blocked) or the recipient's
    account is not active."""
    row = (
        await connection.execute(
            _LOCK_PARTNERSHIP,
            {"sender_id": sender_id, "recipient_id": recipient_id},
        )
    ).one_or_none()
    if row is None:
        return None
    return PartnershipToNudge(
        partnership_id=row.id,
        sender=NudgeSender(sender_id, row.name, row.username, row.profile_picture_url),
        sender_timezone=row.timezone,
    )


async def key_share_pair_goal(
    connection: AsyncConnection, goal_id: UUID, user_ids: tuple[UUID, UUID]
) -> bool:
    """Whether the goal belongs to one of the two users, key-sharing its row until the transaction ends.

    Run after `lock_partnership_to_nudge` (users first, so an account deletion, whose cascade reaches
    goals, waits at the users row). A goal deleted during the send then waits for it and takes the new
    nudge with it by cascade, or is gone before this check (404); it never fails the nudge's foreign
    key at the insert.
    """
    found = await connection.scalar(
        sa.select(goals.c.id)
        .where(goals.c.id == goal_id, goals.c.user_id.in_(user_ids))
        .with_for_update(key_share=True, read=True)
    )
    return found is not None


@dataclass(frozen=True, slots=True)
class NewNudge:
    sender: NudgeSender
    recipient_id: UUID
    partnership_id: UUID
    nudge_type: str
    message: str | None
    emoji: str | None
    goal_id: UUID | None
    nudge_date: date  # the sender's local date


_RETURNED: Final = (
    _nudge.id,
    _nudge.sender_id,
    _nudge.recipient_id,
    _nudge.nudge_type,
    _nudge.message,
    _nudge.emoji,
    _nudge.goal_id,
    _nudge.challenge_id,
    _nudge.partnership_id,
    _nudge.is_read,
    _nudge.read_at,
    _nudge.created_at,
)


async def insert_nudge(
    connection: AsyncConnection, nudge: NewNudge, *, daily_limit: int | None, now: datetime
) -> NudgeRow | None:
    """Insert the nudge unless the sender already sent `daily_limit` of its type to the recipient on
    `nudge_date` (None = unlimited); None when refused. The caller holds the partnership lock, which is
    what makes the count exact; the daily plain-nudge index is a second guard (a conflict is a refusal,
    never an error)."""
    values = {
        "sender_id": nudge.sender.id,
        "recipient_id": nudge.recipient_id,
        "partnership_id": nudge.partnership_id,
        "nudge_type": nudge.nudge_type,
        "message": nudge.message,
        "emoji": nudge.emoji,
        "goal_id": nudge.goal_id,
        "nudge_date": nudge.nudge_date,
        "created_at": now,
        "updated_at": now,
    }
    row_to_insert = sa.select(
        *(sa.literal(value, _nudge[name].type).label(name) for name, value in values.items())
    )
    if daily_limit is not None:
        sent_today = (
            sa.select(sa.func.count())
            .where(
                _nudge.sender_id == nudge.sender.id,
                _nudge.recipient_id == nudge.recipient_id,
                _nudge.nudge_date == nudge.nudge_date,
                _nudge.nudge_type == nudge.nudge_type,
            )
            .scalar_subquery()
        )
        row_to_insert = row_to_insert.where(sent_today < daily_limit)
    statement = (
        insert(social_nudges)
        .from_select(list(values), row_to_insert)
        .on_conflict_do_nothing()
        .returning(*_RETURNED)
    )
    row = (await connection.execute(statement)).one_or_none()
    return None if row is None else _nudge_row(row._mapping, nudge.sender)


def _nudge_row(row: Any, sender: NudgeSender) -> NudgeRow:
    return NudgeRow(**{column.name: row[column.name] for column in _RETURNED}, sender=sender)


@dataclass(frozen=True, slots=True)
class NudgePosition:
    """The keyset position of the last nudge served: the next page starts strictly after it."""

    created_at: datetime
    id: UUID


async def nudge_page(
    connection: AsyncConnection,
    user_id: UUID,
    *,
    sent: bool,
    unread_only: bool = False,
    limit: int,
    after: NudgePosition | None = None,
    offset: int = 0,
) -> list[NudgeRow]:
    """Up to `limit` nudges the user received (or sent), newest first, each with its sender (one join),
    after the keyset position or skipping `offset` rows (for the client that pages by offset)."""
    owner = _nudge.sender_id if sent else _nudge.recipient_id
    query = (
        sa.select(
            *_RETURNED,
            users.c.name.label("sender_name"),
            users.c.username.label("sender_username"),
            users.c.profile_picture_url.label("sender_profile_picture_url"),
        )
        .select_from(social_nudges.join(users, users.c.id == _nudge.sender_id))
        .where(owner == user_id)
        .order_by(_nudge.created_at.desc(), _nudge.id.desc())
        .limit(limit)
    )
    if unread_only:
        query = query.where(_nudge.is_read.is_(False))
    if after is not None:
        query = query.where(sa.tuple_(_nudge.created_at, _nudge.id) < sa.tuple_(after.created_at, after.id))
    elif offset:
        query = query.offset(offset)
    return [
        _nudge_row(
            row._mapping,
            NudgeSender(row.sender_id, row.sender_name, row.sender_username, row.sender_profile_picture_url),
        )
        for row in await connection.execute(query)
    ]


async def count_unread_nudges(connection: AsyncConnection, user_id: UUID) -> int:
    """Unread nudges received (the partial index over unread rows)."""
    count = await connection.scalar(
        sa.select(sa.func.count()).where(_nudge.recipient_id == user_id, _nudge.is_read.is_(False))
    )
    return int(count or 0)


async def mark_nudge_read(
    connection: AsyncConnection, user_id: UUID, nudge_id: UUID, *, now: datetime
) -> bool:
    """Mark a nudge the user received as read; read_at keeps the first instant. False when the user
    did not receive it."""
    first_read = _nudge.is_read.is_(False)
    result = await connection.execute(
        sa.update(social_nudges)
        .where(_nudge.id == nudge_id, _nudge.recipient_id == user_id)
        .values(
            is_read=True,
            read_at=sa.func.coalesce(_nudge.read_at, now),
            updated_at=sa.case((first_read, now), else_=_nudge.updated_at),
        )
        .returning(_nudge.id)
    )
    return result.first() is not None


async def mark_all_nudges_read(connection: AsyncConnection, user_id: UUID, *, now: datetime) -> int:
    """Mark every unread nudge the user received as read; returns how many changed."""
    result = await connection.execute(
        sa.update(social_nudges)
        .where(_nudge.recipient_id == user_id, _nudge.is_read.is_(False))
        .values(is_read=True, read_at=now, updated_at=now)
    )
    return int(result.rowcount)


async def delete_nudge(connection: AsyncConnection, user_id: UUID, nudge_id: UUID) -> bool:
    """Delete a nudge the user sent or received and, in the same statement, the inbox rows whose entity
    is that nudge. False when the user is neither its sender nor its recipient."""
    own = (
        sa.select(_nudge.id)
        .where(_nudge.id == nudge_id, sa.or_(_nudge.sender_id == user_id, _nudge.recipient_id == user_id))
        .cte("own")
    )
    inbox_deleted = (
        sa.delete(notification_history)
        .where(
            notification_history.c.entity_type == EntityType.NUDGE.value,
            notification_history.c.entity_id.in_(sa.select(own.c.id)),
        )
        .cte("inbox_deleted")
    )
    result = await connection.execute(
        sa.delete(social_nudges)
        .where(_nudge.id.in_(sa.select(own.c.id)))
        .returning(_nudge.id)
        .add_cte(inbox_deleted)
    )
    return result.first() is not None
