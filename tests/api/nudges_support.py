"""What the nudge tests share: two users who are accepted partners, sending, and the rows it leaves."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any
from uuid import UUID

import httpx
import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncConnection

from db.tables import notification_history, social_nudges
from tests.api.auth_support import MakeUser
from tests.support.social_rows import insert_pair
from tests.support.users import ApiUser

NUDGES = "/api/v1/nudges"


@dataclass(frozen=True, slots=True)
class Pair:
    sender: ApiUser
    recipient: ApiUser
    partnership_id: UUID


async def partners(
    connection: AsyncConnection,
    make_user: MakeUser,
    *,
    sender_fields: dict[str, Any] | None = None,
    recipient_fields: dict[str, Any] | None = None,
    status: str = "accepted",
) -> Pair:
    """Two users with one partnership row of `status`, requested by the recipient-to-be."""
    sender = await make_user(**(sender_fields or {}))
    recipient = await make_user(**(recipient_fields or {}))
    partnership_id = await insert_pair(connection, recipient.id, sender.id, status=status)
    return Pair(sender, recipient, partnership_id)


async def send(
    client: httpx.AsyncClient, sender: ApiUser, recipient_id: UUID, nudge_type: str = "nudge", **fields: Any
) -> httpx.Response:
    body = {"recipient_id": str(recipient_id), "nudge_type": nudge_type, **fields}
    return await client.post(NUDGES, json=body, headers=sender.headers)


async def nudge_rows(connection: AsyncConnection, sender_id: UUID) -> list[Any]:
    result = await connection.execute(
        sa.select(social_nudges)
        .where(social_nudges.c.sender_id == sender_id)
        .order_by(social_nudges.c.created_at)
    )
    return list(result)


async def notices_of(connection: AsyncConnection, user_id: UUID) -> list[Any]:
    """The user's notices of nudges (not those of the badges a send may unlock)."""
    result = await connection.execute(
        sa.select(notification_history)
        .where(notification_history.c.user_id == user_id, notification_history.c.entity_type == "nudge")
        .order_by(notification_history.c.sent_at, notification_history.c.id)
    )
    return list(result)
