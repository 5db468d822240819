"""checkins.precreate: pending rows appear when each owner's local day starts, with their prompt and
follow-up instants, once, set-based over every zone whose day began."""

from __future__ import annotations

from datetime import date
from uuid import UUID

import pytest
import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine

from db.daily_checkins import GoalKey, create_zone_pending_checkins
from db.locks import try_job_lock
from db.tables import check_ins, goals, job_markers
from domain.schedule import checkin_followup_due_at, checkin_prompt_due_at
from tests.support.rows import insert_goal_row as add_goal
from tests.support.rows import insert_user_row as add_user
from tests.support.rows import utc
from tests.support.savepoint_database import SavepointDatabase
from workers.broker import broker
from workers.jobs.daily_checkins import MARK_MISSED_JOB, PRECREATE_JOB, run_precreate
from workers.periodic_jobs import PERIODIC_JOBS


async def checkin_rows(connection: AsyncConnection) -> set[tuple[UUID, date, str]]:
    result = await connection.execute(
        sa.select(check_ins.c.goal_id, check_ins.c.check_in_date, check_ins.c.status)
    )
    return {(row.goal_id, row.check_in_date, row.status) for row in result}


async def test_pending_rows_appear_at_each_owners_local_midnight_not_utc_midnight(
    connection: AsyncConnection, database: SavepointDatabase
) -> None:
    # Given daily goals in Auckland (+12 in June), UTC and Los Angeles (-7), and a run at 11:50 UTC
    # on 2024-06-12, when it is 2024-06-12 in all three zones
    auckland = await add_goal(connection, await add_user(connection, "Pacific/Auckland"))
    in_utc = await add_goal(connection, await add_user(connection, "UTC"))
    los_angeles = await add_goal(connection, await add_user(connection, "America/Los_Angeles"))
    assert await run_precreate(database, now=utc("2024-06-12T11:50")) == 3
    june_12 = {(goal, date(2024, 6, 12), "pending") for goal in (auckland, in_utc, los_angeles)}
    assert await checkin_rows(connection) == june_12

    # When the job runs just after midnight in Auckland (12:05 UTC)
    assert await run_precreate(database, now=utc("2024-06-12T12:05")) == 1
    # Then only Auckland has its 2024-06-13 row
    assert await checkin_rows(connection) == june_12 | {(auckland, date(2024, 6, 13), "pending")}

    # When it runs after UTC midnight, then after Los Angeles midnight (07:05 UTC)
    assert await run_precreate(database, now=utc("2024-06-13T00:05")) == 1
    assert await run_precreate(database, now=utc("2024-06-13T07:05")) == 1
    # Then each zone got its own 2024-06-13 row in its own run
    assert await checkin_rows(connection) == june_12 | {
        (goal, date(2024, 6, 13), "pending") for goal in (auckland, in_utc, los_angeles)
    }


@pytest.mark.parametrize(
    ("timezone", "reminder_times"),
    [
        ("Pacific/Auckland", ("07:00", "20:00")),
        ("America/Los_Angeles", ("09:00",)),
        ("America/Los_Angeles", ("21:30",)),  # follow-up at 00:00: the next day, so none
        ("Pacific/Auckland", ("23:45",)),  # prompt at 00:15: the next day, so none either
    ],
)
async def test_prompt_and_follow_up_instants_follow_the_last_reminder_in_the_owners_zone(
    connection: AsyncConnection, database: SavepointDatabase, timezone: str, reminder_times: tuple[str, ...]
) -> None:
    # Given a goal with these reminder times
    goal_id = await add_goal(connection, await add_user(connection, timezone), reminder_times=reminder_times)
    # When its day starts (2024-06-12 in both zones at 10:00 UTC)
    await run_precreate(database, now=utc("2024-06-12T10:00"))
    # Then its row carries the instants the domain rules give for that day
    row = (
        await connection.execute(
            sa.select(check_ins.c.prompt_due_at, check_ins.c.followup_due_at).where(
                check_ins.c.goal_id == goal_id
            )
        )
    ).one()
    day = date(2024, 6, 12)
    assert row.prompt_due_at == checkin_prompt_due_at(reminder_times, day, timezone)
    assert row.followup_due_at == checkin_followup_due_at(reminder_times, day, timezone)


async def test_instants_are_computed_for_the_day_of_a_dst_change(
    connection: AsyncConnection, database: SavepointDatabase
) -> None:
    # Given an 18:00 goal in Los Angeles on its spring-forward day (2024-03-10, PST → PDT at 02:00)
    goal_id = await add_goal(connection, await add_user(connection, "America/Los_Angeles"))
    # When its day starts
    await run_precreate(database, now=utc("2024-03-10T08:05"))
    # Then the prompt is 18:30 PDT (-7) and the follow-up 20:30 PDT, not PST-based instants
    row = (
        await connection.execute(
            sa.select(check_ins.c.prompt_due_at, check_ins.c.followup_due_at).where(
                check_ins.c.goal_id == goal_id
            )
        )
    ).one()
    assert (row.prompt_due_at, row.followup_due_at) == (utc("2024-03-11T01:30"), utc("2024-03-11T03:30"))


async def test_weekly_goal_gets_a_row_only_on_its_target_weekdays_with_sunday_as_zero(
    connection: AsyncConnection, database: SavepointDatabase
) -> None:
    # Given a Sunday-only goal (target day 0) in UTC
    goal_id = await add_goal(connection, await add_user(connection, "UTC"), target_days=[0])
    # When the job runs on Saturday 2024-06-15, Sunday 2024-06-16 and Monday 2024-06-17
    for day in ("2024-06-15", "2024-06-16", "2024-06-17"):
        await run_precreate(database, now=utc(f"{day}T00:10"))
    # Then only Sunday has a row
    assert await checkin_rows(connection) == {(goal_id, date(2024, 6, 16), "pending")}


async def test_paused_archived_and_not_onboarded_get_no_rows(
    connection: AsyncConnection, database: SavepointDatabase
) -> None:
    # Given a paused goal, an archived one, and an active goal of a user who has not finished onboarding
    user_id = await add_user(connection, "UTC")
    await add_goal(connection, user_id, status="paused")
    await add_goal(connection, user_id, status="archived")
    await add_goal(connection, await add_user(connection, "UTC", onboarded=False))
    # When the day starts
    created = await run_precreate(database, now=utc("2024-06-12T00:05"))
    # Then nothing was created
    assert created == 0
    assert await checkin_rows(connection) == set()


async def test_a_doubled_run_changes_nothing_and_never_touches_answered_rows(
    connection: AsyncConnection, database: SavepointDatabase
) -> None:
    # Given two goals, one already answered today (the API inserts the row if it was missing)
    user_id = await add_user(connection, "UTC")
    answered = await add_goal(connection, user_id)
    unanswered = await add_goal(connection, user_id)
    await connection.execute(
        sa.insert(check_ins).values(
            user_id=user_id, goal_id=answered, check_in_date=date(2024, 6, 12), status="completed"
        )
    )
    # When the job runs twice for the same instant
    first = await run_precreate(database, now=utc("2024-06-12T00:05"))
    second = await run_precreate(database, now=utc("2024-06-12T00:20"))
    # Then the first created the missing row only, the second nothing, and the zone is marked once
    assert (first, second) == (1, 0)
    assert await checkin_rows(connection) == {
        (answered, date(2024, 6, 12), "completed"),
        (unanswered, date(2024, 6, 12), "pending"),
    }
    markers = await connection.execute(
        sa.select(job_markers.c.scope_key, job_markers.c.period_key).where(
            job_markers.c.job_name == PRECREATE_JOB
        )
    )
    assert markers.all() == [("UTC", "2024-06-12")]


async def test_a_run_finds_the_lock_taken_and_does_nothing(
    connection: AsyncConnection, database: SavepointDatabase, engine: AsyncEngine
) -> None:
    # Given a scheduled goal, and another process in the middle of a precreate run
    await add_goal(connection, await add_user(connection, "UTC"))
    async with engine.connect() as other_process, other_process.begin():
        assert await try_job_lock(other_process, PRECREATE_JOB)
        # When this run starts meanwhile
        created = await run_precreate(database, now=utc("2024-06-12T00:05"))
    # Then it stepped aside without writing
    assert created == 0
    assert await checkin_rows(connection) == set()


async def test_more_goals_than_one_statement_takes_are_all_created(
    connection: AsyncConnection, database: SavepointDatabase
) -> None:
    # Given 1001 scheduled goals in one zone (one statement takes 1000)
    user_id = await add_user(connection, "Europe/Berlin")
    await connection.execute(
        sa.insert(goals).from_select(
            ["user_id", "title", "frequency_type"],
            sa.select(sa.literal(user_id), sa.literal("Goal"), sa.literal("daily")).select_from(
                sa.func.generate_series(1, 1001)
            ),
        )
    )
    # When the day starts
    created = await run_precreate(database, now=utc("2024-06-11T22:30"))  # 00:30 in Berlin
    # Then every goal has its row
    assert created == 1001
    assert {day for _, day, _ in await checkin_rows(connection)} == {date(2024, 6, 12)}


async def test_keyset_batches_walk_users_and_goals_without_gaps_or_repeats(
    connection: AsyncConnection,
) -> None:
    # Given three users with two goals each in two zones at the same local date
    goal_ids = set()
    for timezone in ("Europe/Paris", "Europe/Berlin", "Europe/Paris"):
        user_id = await add_user(connection, timezone)
        goal_ids |= {await add_goal(connection, user_id), await add_goal(connection, user_id)}
    # When batches of two are taken until one comes back short
    position: GoalKey | None = None
    sizes = []
    while True:
        batch = await create_zone_pending_checkins(
            connection,
            timezones=["Europe/Paris", "Europe/Berlin"],
            local_date=date(2024, 6, 12),
            after=position,
            limit=2,
        )
        sizes.append((batch.goals, batch.created))
        position = batch.last_key
        if batch.goals < 2:
            break
    # Then each goal got exactly one row
    assert sizes == [(2, 2), (2, 2), (2, 2), (0, 0)]
    assert {goal for goal, _, _ in await checkin_rows(connection)} == goal_ids


def test_both_jobs_run_every_15_minutes_and_operators_can_run_them_by_name() -> None:
    assert {PRECREATE_JOB, MARK_MISSED_JOB} <= set(PERIODIC_JOBS)
    for name in (PRECREATE_JOB, MARK_MISSED_JOB):
        assert str(broker.get_actor(name).options["periodic"]) == "*/15 * * * *"
