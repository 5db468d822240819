"""Rows and helpers for the scheduled-notice tests: users with devices, goals with their reminder slots
(built by the goals code), check-ins, and the notices the jobs wrote."""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from datetime import date, datetime
from typing import Any
from uuid import UUID

import redis.asyncio as aioredis
import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncConnection

from db.reminder_slots import rebuild_goal_slots
from db.tables import check_ins, device_tokens, goals, notification_history, reminder_slots
from services.transaction import Database
from settings import Settings
from tests.support.rows import insert_goal_row, insert_user_row, pending_day_end
from workers.periodic_jobs import JobContext


def job_context(database: Database, settings: Settings) -> JobContext:
    """The context a worker would give the job: the test's database (which sends through the real
    Redis broker) and a Redis client (it connects on first use only)."""
    return JobContext(database, aioredis.Redis.from_url(settings.redis_url), settings)


async def add_user(connection: AsyncConnection, *, timezone: str = "UTC", **fields: Any) -> UUID:
    """An onboarded user with one active device."""
    user_id = await insert_user_row(connection, timezone, **fields)
    tag = uuid.uuid4().hex[:12]
    await connection.execute(
        sa.insert(device_tokens).values(
            user_id=user_id,
            fcm_token=f"ExponentPushToken[{tag}]",
            device_type="ios",
            device_id=tag,
            app_version="1.0",
            os_version="17",
        )
    )
    return user_id


async def add_goal(
    connection: AsyncConnection,
    user_id: UUID,
    *,
    now: datetime,
    title: str = "Morning run",
    reminder_times: Sequence[str] = ("18:00",),
    target_days: Sequence[int] | None = None,
    status: str = "active",
    current_streak: int = 0,
) -> UUID:
    """A goal (daily unless `target_days` is given) and its reminder slots as of `now`."""
    goal_id = await insert_goal_row(
        connection,
        user_id,
        reminder_times,
        title=title,
        target_days=target_days,
        status=status,
        current_streak=current_streak,
        longest_streak=current_streak,
    )
    await rebuild_goal_slots(connection, [goal_id], now=now)
    return goal_id


async def set_goal_status(connection: AsyncConnection, goal_id: UUID, status: str, *, now: datetime) -> None:
    """What deactivating or archiving does to the schedule: new status, slots rebuilt (so removed)."""
    await connection.execute(sa.update(goals).where(goals.c.id == goal_id).values(status=status))
    await rebuild_goal_slots(connection, [goal_id], now=now)


async def add_checkin(
    connection: AsyncConnection,
    user_id: UUID,
    goal_id: UUID,
    check_in_date: date,
    *,
    status: str = "pending",
    prompt_due_at: datetime | None = None,
    followup_due_at: datetime | None = None,
) -> UUID:
    checkin_id: UUID = (
        await connection.execute(
            sa.insert(check_ins)
            .values(
                user_id=user_id,
                goal_id=goal_id,
                check_in_date=check_in_date,
                status=status,
                prompt_due_at=prompt_due_at,
                followup_due_at=followup_due_at,
                missed_due_at=pending_day_end(user_id, check_in_date) if status == "pending" else None,
            )
            .returning(check_ins.c.id)
        )
    ).scalar_one()
    return checkin_id


async def answer_checkin(connection: AsyncConnection, checkin_id: UUID, status: str = "completed") -> None:
    """The answer as the check-in code records it (status only; due columns untouched on purpose)."""
    await connection.execute(
        sa.update(check_ins)
        .where(check_ins.c.id == checkin_id)
        .values(status=status, responded_at=sa.func.now())
    )


async def notices(connection: AsyncConnection, notification_type: str | None = None) -> list[Any]:
    """The inbox rows written so far (oldest first), optionally of one type."""
    statement = sa.select(
        notification_history.c.user_id,
        notification_history.c.notification_type,
        notification_history.c.title,
        notification_history.c.body,
        notification_history.c.data,
        notification_history.c.entity_id,
        notification_history.c.dedupe_key,
        notification_history.c.push_status,
        notification_history.c.sent_at,
    ).order_by(notification_history.c.sent_at, notification_history.c.dedupe_key)
    if notification_type is not None:
        statement = statement.where(notification_history.c.notification_type == notification_type)
    return list(await connection.execute(statement))


async def next_fire_times(connection: AsyncConnection, goal_id: UUID) -> list[datetime]:
    result = await connection.execute(
        sa.select(reminder_slots.c.next_fire_at)
        .where(reminder_slots.c.goal_id == goal_id)
        .order_by(reminder_slots.c.next_fire_at)
    )
    return list(result.scalars())
