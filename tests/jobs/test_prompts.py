"""checkins.prompts: the check-in prompt 30 min and the follow-up 2 h 30 min after the last reminder,
only while today's row is pending, once per goal and local day (workers/jobs/checkin_prompts.py)."""

from __future__ import annotations

from datetime import date, timedelta
from uuid import UUID

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncConnection

from db.daily_checkins import create_pending_checkins
from db.tables import check_ins
from settings import Settings
from tests.jobs.scheduling_support import (
    add_checkin,
    add_goal,
    add_user,
    answer_checkin,
    job_context,
    notices,
)
from tests.support.rows import utc
from tests.support.savepoint_database import SavepointDatabase
from workers.jobs.checkin_prompts import BATCH_SIZE, send_checkin_prompts

TODAY = date(2025, 6, 10)
# Last reminder 18:00 in Los Angeles (PDT, -7) on TODAY: prompt 18:30, follow-up 20:30 local.
PROMPT_AT = utc("2025-06-11T01:30")
FOLLOWUP_AT = utc("2025-06-11T03:30")


async def pending_goal(
    connection: AsyncConnection, *, reminder_times: tuple[str, ...] = ("08:00", "18:00")
) -> UUID:
    """A Los Angeles goal with today's pending row, created as the day-start job creates it."""
    user_id = await add_user(connection, timezone="America/Los_Angeles", name="Ana Lopez")
    goal_id = await add_goal(connection, user_id, now=utc("2025-06-10T00:00"), reminder_times=reminder_times)
    assert await create_pending_checkins(connection, goal_ids=[goal_id], local_date=TODAY) == 1
    return goal_id


async def checkin_id_of(connection: AsyncConnection, goal_id: UUID) -> UUID:
    result = await connection.execute(sa.select(check_ins.c.id).where(check_ins.c.goal_id == goal_id))
    checkin_id: UUID = result.scalar_one()
    return checkin_id


async def test_prompt_and_follow_up_go_out_at_their_instants_once_each(
    connection: AsyncConnection, database: SavepointDatabase, settings: Settings
) -> None:
    # Given a pending check-in whose last reminder is at 18:00
    goal_id = await pending_goal(connection)
    context = job_context(database, settings)

    # When the job runs every 10 minutes from 18:00 to 23:50 local
    for step in range(36):
        await send_checkin_prompts(context, utc("2025-06-11T01:00") + timedelta(minutes=10 * step))

    # Then one prompt went out at 18:30 and one follow-up at 20:30, both opening the check-in sheet
    sent = await notices(connection)
    assert [(notice.data["subtype"], notice.sent_at) for notice in sent] == [
        ("checkin_prompt", PROMPT_AT),
        ("checkin_followup", FOLLOWUP_AT),
    ]
    assert [notice.dedupe_key for notice in sent] == [
        f"checkin_prompt:{goal_id}:2025-06-10",
        f"checkin_followup:{goal_id}:2025-06-10",
    ]
    assert all(notice.notification_type == "reminder" for notice in sent)
    assert sent[0].data["deepLink"] == f"/(user)/(goals)/details?id={goal_id}&openCheckIn=true"
    assert "Ana" in sent[0].body


async def test_an_answered_check_in_gets_neither_prompt_nor_follow_up(
    connection: AsyncConnection, database: SavepointDatabase, settings: Settings
) -> None:
    # Given a check-in answered at 18:10, its due instants still set
    goal_id = await pending_goal(connection)
    await answer_checkin(connection, await checkin_id_of(connection, goal_id))
    context = job_context(database, settings)

    # When the job runs at both instants
    prompt = await send_checkin_prompts(context, PROMPT_AT)
    followup = await send_checkin_prompts(context, FOLLOWUP_AT)

    # Then nothing was even due
    assert prompt["checkin_prompt_due"] == followup["checkin_followup_due"] == 0
    assert await notices(connection) == []


async def test_answering_between_prompt_and_follow_up_stops_the_follow_up(
    connection: AsyncConnection, database: SavepointDatabase, settings: Settings
) -> None:
    # Given a prompt sent at 18:30
    goal_id = await pending_goal(connection)
    context = job_context(database, settings)
    await send_checkin_prompts(context, PROMPT_AT)

    # When the user answers (skipped) at 19:00 and the job runs at 20:30
    await answer_checkin(connection, await checkin_id_of(connection, goal_id), status="skipped")
    await send_checkin_prompts(context, FOLLOWUP_AT)

    # Then only the prompt exists
    assert [notice.data["subtype"] for notice in await notices(connection)] == ["checkin_prompt"]


async def test_a_late_reminder_leaves_no_follow_up_before_midnight(
    connection: AsyncConnection, database: SavepointDatabase, settings: Settings
) -> None:
    # Given a last reminder at 22:00: prompt at 22:30, follow-up would be 00:30 the next day
    await pending_goal(connection, reminder_times=("22:00",))
    context = job_context(database, settings)

    # When the job runs through the evening and past midnight
    for step in range(16):
        await send_checkin_prompts(context, utc("2025-06-11T05:00") + timedelta(minutes=10 * step))

    # Then only the prompt went out
    assert [notice.data["subtype"] for notice in await notices(connection)] == ["checkin_prompt"]


async def test_stopped_scheduler_drops_asks_later_than_the_bound_and_clears_them(
    connection: AsyncConnection, database: SavepointDatabase, settings: Settings
) -> None:
    # Given a prompt due at 18:30 and a follow-up due at 20:30
    goal_id = await pending_goal(connection)

    # When the job first runs at 20:50 (prompt 140 min late, follow-up 20 min late)
    counts = await send_checkin_prompts(job_context(database, settings), FOLLOWUP_AT + timedelta(minutes=20))

    # Then the prompt is dropped, the follow-up sent, and neither is due any more
    assert (counts["checkin_prompt_dropped"], counts["checkin_followup_notified"]) == (1, 1)
    assert [notice.data["subtype"] for notice in await notices(connection)] == ["checkin_followup"]
    due = (
        await connection.execute(
            sa.select(check_ins.c.prompt_due_at, check_ins.c.followup_due_at).where(
                check_ins.c.goal_id == goal_id
            )
        )
    ).one()
    assert tuple(due) == (None, None)


async def test_at_most_one_prompt_per_goal_and_local_day_even_if_due_again(
    connection: AsyncConnection, database: SavepointDatabase, settings: Settings
) -> None:
    # Given a prompt already sent
    goal_id = await pending_goal(connection)
    context = job_context(database, settings)
    await send_checkin_prompts(context, PROMPT_AT)

    # When the row is made due again (e.g. reminder times changed) and the job runs twice
    await connection.execute(
        sa.update(check_ins).where(check_ins.c.goal_id == goal_id).values(prompt_due_at=PROMPT_AT)
    )
    again = await send_checkin_prompts(context, PROMPT_AT + timedelta(minutes=1))
    await send_checkin_prompts(context, PROMPT_AT + timedelta(minutes=2))

    # Then the dedupe key held: one prompt
    assert (again["checkin_prompt_due"], again["checkin_prompt_notified"]) == (1, 0)
    assert len(await notices(connection)) == 1


async def test_more_than_a_batch_of_due_prompts_is_drained_in_one_run(
    connection: AsyncConnection, database: SavepointDatabase, settings: Settings
) -> None:
    # Given more due prompts than one batch holds
    user_id = await add_user(connection, timezone="UTC")
    count = BATCH_SIZE + 20
    for _ in range(count):
        goal_id = await add_goal(connection, user_id, now=utc("2025-06-10T00:00"))
        await add_checkin(connection, user_id, goal_id, TODAY, prompt_due_at=utc("2025-06-10T18:30"))

    # When the job runs once
    counts = await send_checkin_prompts(job_context(database, settings), utc("2025-06-10T18:31"))

    # Then every one of them was prompted
    assert counts["checkin_prompt_notified"] == count
