"""Due morning motivations: users whose next_morning_motivation_at passed, and their active goals.

Users are reached through the partial index on next_morning_motivation_at (NULL when the notice is
disabled or the user is not onboarded), so an idle minute costs one empty index range scan.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime
from uuid import UUID

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncConnection

from db.sql_arrays import uuid_array
from db.tables import goals, users

__all__ = ["ActiveGoal", "DueMorningUser", "active_goals_of_users", "take_due_morning_users"]


@dataclass(frozen=True, slots=True)
class DueMorningUser:
    """`local_date` is the user's calendar date at `due_at`: the morning the notice belongs to."""

    user_id: UUID
    due_at: datetime
    local_date: date
    name: str
    motivation_style: str
    may_receive: bool  # active account, onboarded, morning motivation switched on


@dataclass(frozen=True, slots=True)
class ActiveGoal:
    user_id: UUID
    goal_id: UUID
    title: str
    frequency_type: str
    target_days: list[int] | None
    current_streak: int


async def take_due_morning_users(
    connection: AsyncConnection, *, now: datetime, limit: int
) -> list[DueMorningUser]:
    """Up to `limit` users whose morning instant is due at `now` (oldest first), locked for this
    transaction; users locked elsewhere (a request updating them) are skipped until the next batch."""
    due_at = users.c.next_morning_motivation_at
    statement = (
        sa.select(
            users.c.id,
            due_at.label("due_at"),
            sa.cast(sa.func.timezone(users.c.timezone, due_at), sa.Date).label("local_date"),
            users.c.name,
            users.c.motivation_style,
            sa.and_(
                users.c.status == "active",
                users.c.onboarding_completed_at.is_not(None),
                users.c.morning_motivation_enabled,
            ).label("may_receive"),
        )
        .where(due_at.is_not(None), due_at <= now)
        .order_by(due_at)
        .limit(limit)
        .with_for_update(of=users, skip_locked=True)
    )
    result = await connection.execute(statement)
    return [
        DueMorningUser(
            user_id=row.id,
            due_at=row.due_at,
            local_date=row.local_date,
            name=row.name,
            motivation_style=row.motivation_style,
            may_receive=row.may_receive,
        )
        for row in result
    ]


async def active_goals_of_users(connection: AsyncConnection, user_ids: Sequence[UUID]) -> list[ActiveGoal]:
    """The active goals of `user_ids`, oldest first per user (the order the morning notice lists them)."""
    if not user_ids:
        return []
    result = await connection.execute(
        sa.select(
            goals.c.user_id,
            goals.c.id,
            goals.c.title,
            goals.c.frequency_type,
            goals.c.target_days,
            goals.c.current_streak,
        )
        .where(goals.c.user_id == sa.any_(uuid_array("user_ids", user_ids)), goals.c.status == "active")
        .order_by(goals.c.user_id, goals.c.created_at, goals.c.id)
    )
    return [
        ActiveGoal(
            user_id=row.user_id,
            goal_id=row.id,
            title=row.title,
            frequency_type=row.frequency_type,
            target_days=row.target_days,
            current_streak=row.current_streak,
        )
        for row in result
    ]
