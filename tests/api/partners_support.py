"""What the /partners tests share: the fixed clock, requests and accepted pairs made through the API,
and direct reads of the rows."""

from __future__ import annotations

from datetime import UTC, date, datetime
from typing import Any
from uuid import UUID

import httpx
import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncConnection

from db.tables import accountability_partners, goals, notification_history
from tests.support.users import ApiUser

PARTNERS = "/api/v1/partners"
# A Wednesday afternoon in UTC.
NOW = datetime(2024, 6, 12, 15, 0, tzinfo=UTC)


async def send(api: httpx.AsyncClient, sender: ApiUser, receiver: ApiUser | UUID) -> httpx.Response:
    target = receiver if isinstance(receiver, UUID) else receiver.id
    return await api.post(
        f"{PARTNERS}/request", json={"partner_user_id": str(target)}, headers=sender.headers
    )


async def request_id(api: httpx.AsyncClient, sender: ApiUser, receiver: ApiUser) -> str:
    response = await send(api, sender, receiver)
    assert response.status_code == 201, response.text
    return str(response.json()["id"])


async def make_partners(api: httpx.AsyncClient, sender: ApiUser, receiver: ApiUser) -> str:
    partnership = await request_id(api, sender, receiver)
    response = await api.post(f"{PARTNERS}/{partnership}/accept", headers=receiver.headers)
    assert response.status_code == 200, response.text
    return partnership


async def rows_between(connection: AsyncConnection, a: UUID, b: UUID) -> list[Any]:
    ap = accountability_partners
    result = await connection.execute(
        sa.select(ap).where(
            sa.or_(
                sa.and_(ap.c.user_id == a, ap.c.partner_user_id == b),
                sa.and_(ap.c.user_id == b, ap.c.partner_user_id == a),
            )
        )
    )
    return list(result)


async def inbox_types(connection: AsyncConnection, user_id: UUID) -> list[str]:
    """The user's notices of partnerships and nudges (not of the badges an accept or a nudge unlocks)."""
    result = await connection.execute(
        sa.select(notification_history.c.notification_type)
        .where(
            notification_history.c.user_id == user_id,
            notification_history.c.entity_type.in_(("partner_request", "partner_accepted", "nudge")),
        )
        .order_by(notification_history.c.created_at)
    )
    return list(result.scalars())


async def add_goal(
    connection: AsyncConnection,
    user_id: UUID,
    title: str,
    *,
    current_streak: int = 0,
    status: str = "active",
    frequency_type: str = "daily",
    target_days: list[int] | None = None,
) -> UUID:
    goal_id: UUID = (
        await connection.execute(
            sa.insert(goals)
            .values(
                user_id=user_id,
                title=title,
                frequency_type=frequency_type,
                target_days=target_days,
                frequency_count=len(target_days) if target_days else 1,
                status=status,
                current_streak=current_streak,
                longest_streak=current_streak,
            )
            .returning(goals.c.id)
        )
    ).scalar_one()
    return goal_id


def day(text: str) -> date:
    return date.fromisoformat(text)
