"""Rows inserted directly for tests that start below the API: users and goals with sane defaults."""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from datetime import UTC, date, datetime
from typing import Any
from uuid import UUID

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncConnection

from db.daily_checkins import day_end_in_owner_zone
from db.tables import goals, users

ONBOARDED_AT = datetime(2024, 1, 1, tzinfo=UTC)


def utc(text: str) -> datetime:
    """ "2025-03-09T07:00" → that instant in UTC."""
    return datetime.fromisoformat(text).replace(tzinfo=UTC)


async def insert_user_row(
    connection: AsyncConnection, timezone: str = "UTC", *, onboarded: bool = True, **fields: Any
) -> UUID:
    """A user with a unique email and username, onboarded unless told otherwise."""
    tag = uuid.uuid4().hex[:12]
    values: dict[str, Any] = {
        "email": f"u-{tag}@example.com",
        "username": f"u_{tag}",
        "name": f"Sam {tag}",
        "timezone": timezone,
        "onboarding_completed_at": ONBOARDED_AT if onboarded else None,
        **fields,
    }
    user_id: UUID = (
        await connection.execute(sa.insert(users).values(values).returning(users.c.id))
    ).scalar_one()
    return user_id


async def insert_goal_row(
    connection: AsyncConnection,
    user_id: UUID,
    reminder_times: Sequence[str] = ("18:00",),
    *,
    title: str = "Morning run",
    target_days: Sequence[int] | None = None,
    status: str = "active",
    **columns: Any,
) -> UUID:
    """A goal row: daily unless `target_days` (0 = Sunday) makes it weekly. No slots, no pending row."""
    values: dict[str, Any] = {
        "user_id": user_id,
        "title": title,
        "status": status,
        "frequency_type": "daily" if target_days is None else "weekly",
        "frequency_count": 1 if target_days is None else len(target_days),
        "target_days": None if target_days is None else sorted(target_days),
        "reminder_times": list(reminder_times),
        **columns,
    }
    goal_id: UUID = (
        await connection.execute(sa.insert(goals).values(values).returning(goals.c.id))
    ).scalar_one()
    return goal_id


def pending_day_end(user_id: UUID, day: date) -> sa.ColumnElement[Any]:
    """missed_due_at of a pending row inserted by hand, as the pending-row statements set it."""
    return day_end_in_owner_zone(sa.literal(user_id, users.c.id.type), sa.literal(day, sa.Date))
