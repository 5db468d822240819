"""Rows the achievement tests insert directly: nudges, completed days, unlocks (partnerships:
tests/support/social_rows.py)."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date
from typing import Any
from uuid import UUID

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncConnection

from db.tables import achievement_types, check_ins, social_nudges, user_achievements


async def add_nudges(
    connection: AsyncConnection, sender: UUID, recipient: UUID, partnership_id: UUID, kinds: Iterable[str]
) -> None:
    await connection.execute(
        sa.insert(social_nudges),
        [
            {
                "sender_id": sender,
                "recipient_id": recipient,
                "partnership_id": partnership_id,
                "nudge_type": kind,
                # One plain nudge per sender-local day: give each its own day.
                "nudge_date": date.fromordinal(date(2025, 1, 1).toordinal() + index),
            }
            for index, kind in enumerate(kinds)
        ],
    )


async def add_completed_days(
    connection: AsyncConnection, user_id: UUID, goal_id: UUID, days: Iterable[date], status: str = "completed"
) -> None:
    await connection.execute(
        sa.insert(check_ins),
        [{"user_id": user_id, "goal_id": goal_id, "check_in_date": day, "status": status} for day in days],
    )


async def unlocked_keys(connection: AsyncConnection, user_id: UUID) -> list[str]:
    result = await connection.execute(
        sa.select(achievement_types.c.badge_key)
        .join(user_achievements, user_achievements.c.achievement_type_id == achievement_types.c.id)
        .where(user_achievements.c.user_id == user_id)
        .order_by(achievement_types.c.sort_order)
    )
    return list(result.scalars())


async def unlock_metadata(connection: AsyncConnection, user_id: UUID, badge_key: str) -> dict[str, Any]:
    result = await connection.execute(
        sa.select(user_achievements.c.metadata)
        .join(achievement_types, user_achievements.c.achievement_type_id == achievement_types.c.id)
        .where(user_achievements.c.user_id == user_id, achievement_types.c.badge_key == badge_key)
    )
    metadata: dict[str, Any] = result.scalar_one()
    return metadata
