"""Social rows inserted directly (partnerships, nudges, inbox rows pointing at them), for tests that start
below the partner routes."""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from datetime import UTC, date, datetime, timedelta
from typing import Any
from uuid import UUID

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncConnection

from db.tables import accountability_partners, notification_history, social_nudges, users

REQUEST_LIFETIME = timedelta(days=30)


async def insert_partnership(
    connection: AsyncConnection,
    sender_id: UUID,
    receiver_id: UUID,
    *,
    status: str = "pending",
    created_at: datetime | None = None,
    accepted_at: datetime | None = None,
    blocked_by: UUID | None = None,
) -> UUID:
    """A pending request (expiring 30 days after `created_at`), an accepted partnership (`accepted_at`,
    default `created_at`) or a block (by `blocked_by`, default the sender)."""
    created = created_at or datetime.now(UTC)
    values: dict[str, Any] = {
        "user_id": sender_id,
        "partner_user_id": receiver_id,
        "initiated_by_user_id": sender_id,
        "status": status,
        "created_at": created,
        "expires_at": created + REQUEST_LIFETIME if status == "pending" else None,
        "accepted_at": (accepted_at or created) if status == "accepted" else None,
        "blocked_by": (blocked_by or sender_id) if status == "blocked" else None,
    }
    partnership_id: UUID = (
        await connection.execute(
            sa.insert(accountability_partners).values(values).returning(accountability_partners.c.id)
        )
    ).scalar_one()
    return partnership_id


async def insert_pair(
    connection: AsyncConnection,
    requester_id: UUID,
    receiver_id: UUID,
    *,
    status: str = "accepted",
    blocked_by: UUID | None = None,
) -> UUID:
    """The pair's row for features built on partners: accepted unless told otherwise; a block is the
    receiver's unless `blocked_by` says."""
    if status == "blocked":
        blocked_by = blocked_by or receiver_id
    return await insert_partnership(
        connection, requester_id, receiver_id, status=status, blocked_by=blocked_by
    )


async def insert_pending_requests(
    connection: AsyncConnection, pairs: Sequence[tuple[UUID, UUID]], *, expires_at: Sequence[datetime]
) -> list[UUID]:
    """One pending request per (sender, receiver) pair, with the given expiry instants; ids in order."""
    result = await connection.execute(
        sa.insert(accountability_partners).returning(
            accountability_partners.c.id, sort_by_parameter_order=True
        ),
        [
            {
                "user_id": sender,
                "partner_user_id": receiver,
                "initiated_by_user_id": sender,
                "expires_at": expiry,
            }
            for (sender, receiver), expiry in zip(pairs, expires_at, strict=True)
        ],
    )
    return list(result.scalars())


async def insert_nudge(
    connection: AsyncConnection,
    partnership_id: UUID,
    sender_id: UUID,
    recipient_id: UUID,
    *,
    nudge_type: str = "cheer",
    nudge_date: date = date(2025, 6, 1),
) -> UUID:
    nudge_id: UUID = (
        await connection.execute(
            sa.insert(social_nudges)
            .values(
                partnership_id=partnership_id,
                sender_id=sender_id,
                recipient_id=recipient_id,
                nudge_type=nudge_type,
                nudge_date=nudge_date,
            )
            .returning(social_nudges.c.id)
        )
    ).scalar_one()
    return nudge_id


# The notice type written for each entity type by the producers.
_TYPE_OF_ENTITY = {
    "partner_request": "partner_request",
    "partner_accepted": "partner_accepted",
    "nudge": "partner_nudge",
    "achievement": "achievement",
    "goal": "reminder",
    "checkin": "reminder",
    "user": "partner_inactive",
    "weekly_recap": "weekly_recap",
    "challenge": "challenge",
}


async def insert_inbox_row(
    connection: AsyncConnection, user_id: UUID, entity_type: str, entity_id: UUID
) -> UUID:
    """An inbox row of `user_id` pointing at (entity_type, entity_id), as the notice producers write it."""
    notification_id: UUID = (
        await connection.execute(
            sa.insert(notification_history)
            .values(
                user_id=user_id,
                notification_type=_TYPE_OF_ENTITY[entity_type],
                title="t",
                body="b",
                entity_type=entity_type,
                entity_id=entity_id,
            )
            .returning(notification_history.c.id)
        )
    ).scalar_one()
    return notification_id


async def inbox_entities(connection: AsyncConnection) -> set[tuple[str, UUID]]:
    """(entity_type, entity_id) of every inbox row that names an entity."""
    result = await connection.execute(
        sa.select(notification_history.c.entity_type, notification_history.c.entity_id).where(
            notification_history.c.entity_type.is_not(None)
        )
    )
    return {(row.entity_type, row.entity_id) for row in result}


async def partnership_ids(connection: AsyncConnection) -> set[UUID]:
    return set((await connection.execute(sa.select(accountability_partners.c.id))).scalars())


async def nudge_ids(connection: AsyncConnection) -> set[UUID]:
    return set((await connection.execute(sa.select(social_nudges.c.id))).scalars())


async def insert_users(connection: AsyncConnection, count: int, **columns: Any) -> list[UUID]:
    """`count` users in one statement (unique emails and usernames), in id order."""
    tag = uuid.uuid4().hex[:10]
    rows = [
        {"email": f"s{tag}-{n}@example.com", "username": f"s{tag}_{n}", "name": f"Social {n}", **columns}
        for n in range(count)
    ]
    result = await connection.execute(sa.insert(users).returning(users.c.id), rows)
    return sorted(result.scalars())
