"""The goal reminder due index: one slot per active goal and reminder time, at the right UTC instant,
DST included, rebuilt on goal and time-zone changes and advanced set-wise by the tick."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any
from uuid import UUID

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncConnection

from db.reminder_slots import advance_slots, rebuild_goal_slots, rebuild_user_slots
from db.tables import goals, reminder_slots, users
from tests.support.challenge_rows import insert_challenge
from tests.support.rows import insert_goal_row as add_goal
from tests.support.rows import insert_user_row as add_user
from tests.support.rows import utc


async def slots_of(connection: AsyncConnection, goal_id: UUID) -> dict[str, datetime]:
    result = await connection.execute(
        sa.select(reminder_slots.c.reminder_time, reminder_slots.c.next_fire_at).where(
            reminder_slots.c.goal_id == goal_id
        )
    )
    return {row.reminder_time: row.next_fire_at for row in result}


async def slot_rows(connection: AsyncConnection, goal_id: UUID) -> list[Any]:
    result = await connection.execute(
        sa.select(reminder_slots.c.id, reminder_slots.c.next_fire_at, reminder_slots.c.claimed_at)
        .where(reminder_slots.c.goal_id == goal_id)
        .order_by(reminder_slots.c.reminder_time)
    )
    return list(result)


async def test_active_goal_gets_one_slot_per_reminder_time_at_the_next_local_instant(
    connection: AsyncConnection,
) -> None:
    # Given an Auckland goal reminded at 07:00 and 18:00, at 12:00 local on 2024-06-12 (NZST, +12)
    user_id = await add_user(connection, "Pacific/Auckland")
    goal_id = await add_goal(connection, user_id, ["07:00", "18:00"])
    # When its slots are built
    await rebuild_goal_slots(connection, [goal_id], now=utc("2024-06-12T00:00"))
    # Then 18:00 is still due today and 07:00 tomorrow
    assert await slots_of(connection, goal_id) == {
        "18:00": utc("2024-06-12T06:00"),
        "07:00": utc("2024-06-12T19:00"),
    }


async def test_weekly_goal_fires_only_on_its_target_days_counted_from_sunday(
    connection: AsyncConnection,
) -> None:
    # Given a Sunday-only goal (0 = Sunday), on Wednesday 2024-06-12 in UTC
    user_id = await add_user(connection, "UTC")
    goal_id = await add_goal(connection, user_id, ["09:00"], target_days=[0])
    # When its slot is built
    await rebuild_goal_slots(connection, [goal_id], now=utc("2024-06-12T10:00"))
    # Then it fires on Sunday 2024-06-16, not on a Monday-based "day 0"
    assert await slots_of(connection, goal_id) == {"09:00": utc("2024-06-16T09:00")}


async def test_spring_forward_gap_fires_at_the_first_instant_after_the_gap(
    connection: AsyncConnection,
) -> None:
    # Given reminders at 02:30, which does not exist on the spring-forward days of Los Angeles
    # (2024-03-10, 02:00 → 03:00) and Auckland (2024-09-29, 02:00 → 03:00)
    los_angeles = await add_goal(connection, await add_user(connection, "America/Los_Angeles"), ["02:30"])
    auckland = await add_goal(connection, await add_user(connection, "Pacific/Auckland"), ["02:30"])
    # When their slots are built shortly before the gaps
    await rebuild_goal_slots(connection, [los_angeles], now=utc("2024-03-10T08:00"))  # 00:00 PST
    await rebuild_goal_slots(connection, [auckland], now=utc("2024-09-28T12:00"))  # 00:00 NZST
    # Then each fires at 03:00 local daylight time, the next valid minute
    assert await slots_of(connection, los_angeles) == {"02:30": utc("2024-03-10T10:00")}  # 03:00 PDT
    assert await slots_of(connection, auckland) == {"02:30": utc("2024-09-28T14:00")}  # 03:00 NZDT


async def test_fall_back_hour_fires_once_at_its_first_occurrence_then_moves_to_the_next_day(
    connection: AsyncConnection,
) -> None:
    # Given a reminder at 01:30, which happens twice on 2024-11-03 in Los Angeles (01:00–02:00 repeats)
    goal_id = await add_goal(connection, await add_user(connection, "America/Los_Angeles"), ["01:30"])
    await rebuild_goal_slots(connection, [goal_id], now=utc("2024-11-03T07:00"))  # 00:00 PDT
    # Then it is due at the first 01:30 (PDT)
    assert await slots_of(connection, goal_id) == {"01:30": utc("2024-11-03T08:30")}
    # When the tick advances it right after firing
    [slot] = await slot_rows(connection, goal_id)
    assert await advance_slots(connection, [slot.id], now=utc("2024-11-03T08:30:05")) == 1
    # Then the second 01:30 (PST) is skipped: the next one is on 2024-11-04, 01:30 PST
    assert await slots_of(connection, goal_id) == {"01:30": utc("2024-11-04T09:30")}


async def test_auckland_fall_back_fires_at_the_first_of_the_two_local_times(
    connection: AsyncConnection,
) -> None:
    # Given Auckland's fall-back night (2024-04-07, 03:00 NZDT → 02:00 NZST) and a 02:30 reminder
    goal_id = await add_goal(connection, await add_user(connection, "Pacific/Auckland"), ["02:30"])
    # When its slot is built before it
    await rebuild_goal_slots(connection, [goal_id], now=utc("2024-04-06T11:00"))  # 00:00 NZDT
    # Then it is the 02:30 of daylight time (+13)
    assert await slots_of(connection, goal_id) == {"02:30": utc("2024-04-06T13:30")}


async def test_paused_or_archived_goals_lose_their_slots(connection: AsyncConnection) -> None:
    # Given two goals with slots
    user_id = await add_user(connection, "UTC")
    paused, archived = [await add_goal(connection, user_id, ["08:00"]) for _ in range(2)]
    now = utc("2024-06-12T10:00")
    await rebuild_goal_slots(connection, [paused, archived], now=now)
    # When one is paused and the other archived, and their slots rebuilt
    await connection.execute(sa.update(goals).where(goals.c.id == paused).values(status="paused"))
    await connection.execute(sa.update(goals).where(goals.c.id == archived).values(status="archived"))
    await rebuild_goal_slots(connection, [paused, archived], now=now)
    # Then neither has a slot left
    assert await slots_of(connection, paused) == {}
    assert await slots_of(connection, archived) == {}


async def test_rebuilding_replaces_removed_reminder_times(connection: AsyncConnection) -> None:
    # Given a goal with slots at 08:00 and 20:00
    goal_id = await add_goal(connection, await add_user(connection, "UTC"), ["08:00", "20:00"])
    now = utc("2024-06-12T10:00")
    await rebuild_goal_slots(connection, [goal_id], now=now)
    # When its times become 12:00 only
    await connection.execute(sa.update(goals).where(goals.c.id == goal_id).values(reminder_times=["12:00"]))
    await rebuild_goal_slots(connection, [goal_id], now=now)
    # Then only the 12:00 slot is left
    assert await slots_of(connection, goal_id) == {"12:00": utc("2024-06-12T12:00")}


async def test_time_zone_change_moves_every_goal_slot_of_the_user(connection: AsyncConnection) -> None:
    # Given a UTC user with two active goals and a paused one
    user_id = await add_user(connection, "UTC")
    first, second = [await add_goal(connection, user_id, ["18:00"]) for _ in range(2)]
    paused = await add_goal(connection, user_id, ["18:00"], status="paused")
    now = utc("2024-06-12T10:00")
    await rebuild_goal_slots(connection, [first, second, paused], now=now)
    # When the user moves to Los Angeles (PDT, -7) and their slots are rebuilt
    await connection.execute(
        sa.update(users).where(users.c.id == user_id).values(timezone="America/Los_Angeles")
    )
    await rebuild_user_slots(connection, [user_id], now=now)
    # Then 18:00 means 18:00 in Los Angeles for the active goals, and the paused one still has none
    assert await slots_of(connection, first) == {"18:00": utc("2024-06-13T01:00")}
    assert await slots_of(connection, second) == {"18:00": utc("2024-06-13T01:00")}
    assert await slots_of(connection, paused) == {}


async def test_rebuilding_a_user_leaves_challenge_slots_alone(connection: AsyncConnection) -> None:
    # Given a challenge reminder slot of the user (owned by the challenges feature)
    user_id = await add_user(connection, "UTC")
    challenge_id = await insert_challenge(connection, user_id)
    await connection.execute(
        sa.insert(reminder_slots).values(
            user_id=user_id,
            challenge_id=challenge_id,
            reminder_time="07:00",
            next_fire_at=utc("2024-06-13T07:00"),
        )
    )
    # When the user's goal slots are rebuilt
    await rebuild_user_slots(connection, [user_id], now=utc("2024-06-12T10:00"))
    # Then the challenge slot is untouched
    remaining = await connection.execute(
        sa.select(reminder_slots.c.next_fire_at).where(reminder_slots.c.challenge_id == challenge_id)
    )
    assert remaining.scalars().all() == [utc("2024-06-13T07:00")]


async def test_advance_moves_many_slots_in_their_own_zones_and_releases_claims(
    connection: AsyncConnection,
) -> None:
    # Given 18:00 slots in Auckland and Los Angeles, both claimed by a tick
    auckland = await add_goal(connection, await add_user(connection, "Pacific/Auckland"), ["18:00"])
    los_angeles = await add_goal(connection, await add_user(connection, "America/Los_Angeles"), ["18:00"])
    await rebuild_goal_slots(connection, [auckland, los_angeles], now=utc("2024-06-12T00:00"))
    await connection.execute(sa.update(reminder_slots).values(claimed_at=utc("2024-06-12T06:00")))
    [auckland_slot] = await slot_rows(connection, auckland)
    [los_angeles_slot] = await slot_rows(connection, los_angeles)
    # When both are advanced at once, just after Auckland's fired
    moved = await advance_slots(
        connection, [auckland_slot.id, los_angeles_slot.id, uuid.uuid4()], now=utc("2024-06-12T06:00:30")
    )
    # Then each moved to its next local 18:00 and is claimable again; an unknown id is ignored
    assert moved == 2
    [auckland_slot] = await slot_rows(connection, auckland)
    [los_angeles_slot] = await slot_rows(connection, los_angeles)
    assert (auckland_slot.next_fire_at, auckland_slot.claimed_at) == (utc("2024-06-13T06:00"), None)
    assert (los_angeles_slot.next_fire_at, los_angeles_slot.claimed_at) == (utc("2024-06-13T01:00"), None)
