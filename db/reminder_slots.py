"""The reminder due index for goals (reminder_slots, §2.2, §3.11, docs/scheduling.md).

One slot per (active goal, reminder time) holds the next UTC instant at which the owner's local clock
shows that time on a scheduled day. Slots exist only for active goals, and are rebuilt whenever a
goal's reminder times, schedule or status change (`rebuild_goal_slots`) or its owner's time zone
changes (`rebuild_user_slots`). The reminders tick advances the slots it handled (`advance_slots`).

Instants are computed in Python by domain.schedule.next_reminder_fire_at (DST-safe: a nonexistent
wall time fires at the first instant after the gap, an ambiguous one at its first occurrence). Slots
sharing a time, zone and schedule share one computation, so an 18:00 peak in one zone costs one.
Challenge slots (challenge_id set) belong to the challenges feature and are never touched here.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any, Final
from uuid import UUID

import sqlalchemy as sa
from sqlalchemy.dialects.postgresql import ARRAY
from sqlalchemy.dialects.postgresql import UUID as PG_UUID
from sqlalchemy.ext.asyncio import AsyncConnection

from db.sql_arrays import uuid_array
from db.tables import goals, reminder_slots, users
from domain.schedule import is_scheduled, next_reminder_fire_at

__all__ = [
    "SlotSchedule",
    "advance_scheduled_slots",
    "advance_slots",
    "rebuild_goal_slots",
    "rebuild_user_slots",
]

_ScheduleKey = tuple[str, str, str, tuple[int, ...] | None]


class _NextFireTimes:
    """Next fire instants after one `now`, computed once per (time, zone, frequency, target days)."""

    def __init__(self, now: datetime) -> None:
        self._now = now
        self._known: dict[_ScheduleKey, datetime] = {}

    def after_now(
        self, reminder_time: str, timezone: str, frequency_type: str, target_days: Sequence[int] | None
    ) -> datetime:
        days = tuple(target_days) if target_days is not None else None
        key = (reminder_time, timezone, frequency_type, days)
        if key not in self._known:
            self._known[key] = self._compute(reminder_time, timezone, frequency_type, days)
        return self._known[key]

    def _compute(
        self, reminder_time: str, timezone: str, frequency_type: str, days: tuple[int, ...] | None
    ) -> datetime:
        def scheduled_on(day: date) -> bool:
            return is_scheduled(frequency_type, days, day)

        fire_at = next_reminder_fire_at(reminder_time, timezone, self._now, scheduled_on)
        if fire_at is None:  # the goals CHECK guarantees every goal a scheduled day each week
            raise RuntimeError(f"goal schedule {frequency_type} {days} has no day within a week")
        return fire_at


async def rebuild_goal_slots(connection: AsyncConnection, goal_ids: Sequence[UUID], *, now: datetime) -> None:
    """Replace the slots of these goals: none for goals that are not active, else one per reminder time."""
    await _rebuild_slots(connection, goals.c.id == sa.any_(uuid_array("goal_ids", goal_ids)), now=now)


async def rebuild_user_slots(connection: AsyncConnection, user_ids: Sequence[UUID], *, now: datetime) -> None:
    """Replace the goal slots of these users (after a time zone change: every instant moves)."""
    await _rebuild_slots(connection, goals.c.user_id == sa.any_(uuid_array("user_ids", user_ids)), now=now)


async def _rebuild_slots(
    connection: AsyncConnection, which_goals: sa.ColumnElement[bool], *, now: datetime
) -> None:
    await connection.execute(
        sa.delete(reminder_slots).where(
            reminder_slots.c.goal_id.in_(sa.select(goals.c.id).where(which_goals))
        )
    )
    active_goals = await connection.execute(
        sa.select(
            goals.c.id,
            goals.c.user_id,
            goals.c.frequency_type,
            goals.c.target_days,
            goals.c.reminder_times,
            users.c.timezone,
        )
        .select_from(goals.join(users, users.c.id == goals.c.user_id))
        .where(which_goals, goals.c.status == "active")
    )
    fire_times = _NextFireTimes(now)
    slots = [
        {
            "user_id": goal.user_id,
            "goal_id": goal.id,
            "reminder_time": reminder_time,
            "next_fire_at": fire_times.after_now(
                reminder_time, goal.timezone, goal.frequency_type, goal.target_days
            ),
        }
        for goal in active_goals
        for reminder_time in goal.reminder_times
    ]
    if slots:
        await connection.execute(sa.insert(reminder_slots), slots)


@dataclass(frozen=True, slots=True)
class SlotSchedule:
    """What a goal slot's next fire instant depends on."""

    slot_id: UUID
    reminder_time: str
    frequency_type: str
    target_days: Sequence[int] | None
    timezone: str


_SLOT_SCHEDULES: Final = (
    sa.select(
        reminder_slots.c.id,
        reminder_slots.c.reminder_time,
        goals.c.frequency_type,
        goals.c.target_days,
        users.c.timezone,
    )
    .select_from(
        reminder_slots.join(goals, goals.c.id == reminder_slots.c.goal_id).join(
            users, users.c.id == reminder_slots.c.user_id
        )
    )
    .where(reminder_slots.c.id == sa.any_(sa.bindparam("slot_ids", type_=ARRAY(PG_UUID(as_uuid=True)))))
)


async def advance_slots(connection: AsyncConnection, slot_ids: Sequence[UUID], *, now: datetime) -> int:
    """Move each of these goal slots to its next fire instant strictly after `now`, and release its
    claim; returns how many slots moved (deleted slots are simply absent)."""
    result = await connection.execute(_SLOT_SCHEDULES, {"slot_ids": list(slot_ids)})
    return await advance_scheduled_slots(connection, [SlotSchedule(*row) for row in result], now=now)


async def advance_scheduled_slots(
    connection: AsyncConnection, schedules: Sequence[SlotSchedule], *, now: datetime
) -> int:
    """advance_slots for a caller that has just read the schedules (a reminder chunk loads them with
    its slots), in one UPDATE."""
    if not schedules:
        return 0
    fire_times = _NextFireTimes(now)
    instants = [
        fire_times.after_now(slot.reminder_time, slot.timezone, slot.frequency_type, slot.target_days)
        for slot in schedules
    ]
    targets = _unnest(
        ("id", ARRAY(PG_UUID(as_uuid=True)), [slot.slot_id for slot in schedules]),
        ("next_fire_at", ARRAY(sa.DateTime(timezone=True)), instants),
    )
    updated = await connection.execute(
        sa.update(reminder_slots)
        .where(reminder_slots.c.id == targets.c.id)
        .values(next_fire_at=targets.c.next_fire_at, claimed_at=None, updated_at=sa.func.now())
    )
    return int(updated.rowcount)


def _unnest(*columns: tuple[str, ARRAY[Any], list[Any]]) -> sa.TableValuedAlias:
    """`unnest(:a, :b) AS targets(a, b)`: parallel arrays as one derived table of rows."""
    arrays = [sa.bindparam(name, values, type_=array_type) for name, array_type, values in columns]
    return (
        sa.func.unnest(*arrays)
        .table_valued(*(sa.column(name, array_type.item_type) for name, array_type, _ in columns))
        .render_derived(name="targets", with_types=False)
    )
