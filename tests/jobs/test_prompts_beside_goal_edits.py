"""checkins.prompts never waits on a goal that a request holds (workers/jobs/checkin_prompts.py).

A goal edit locks the goal row (FOR UPDATE), then deletes today's pending check-in; the job locks
check-in rows. Had the job updated one check-in twice in a transaction (prompt and follow-up due
together), PostgreSQL would have re-checked the row's foreign key and share-locked the goal: each
would wait for the other."""

from __future__ import annotations

from sqlalchemy.ext.asyncio import AsyncEngine

from db.daily_checkins import create_pending_checkins
from db.goals import owned_goal
from services.transaction import EngineDatabase
from settings import Settings
from tests.jobs.scheduling_support import add_goal, add_user, job_context, notices
from tests.jobs.test_prompts import FOLLOWUP_AT, TODAY
from tests.support.lock_waits import finishes_without_waiting_for_a_lock
from tests.support.rows import utc
from workers.jobs.checkin_prompts import send_checkin_prompts


async def test_a_run_with_prompt_and_follow_up_due_finishes_while_an_edit_holds_the_goal(
    engine: AsyncEngine, committed_database: EngineDatabase, settings: Settings
) -> None:
    # Given a pending check-in whose prompt and follow-up are both due (the job was down since 18:30)
    async with committed_database.transaction() as tx:
        user_id = await add_user(tx.connection, timezone="America/Los_Angeles", name="Ana Lopez")
        goal_id = await add_goal(tx.connection, user_id, now=utc("2025-06-10T00:00"))
        await create_pending_checkins(tx.connection, goal_ids=[goal_id], local_date=TODAY)

    async with engine.connect() as editing:
        # When an edit holds the goal row (its transaction still open) and the job runs
        await editing.begin()
        assert await owned_goal(editing, user_id, goal_id, now=FOLLOWUP_AT, lock=True) is not None
        run = send_checkin_prompts(job_context(committed_database, settings), FOLLOWUP_AT)
        counts = await finishes_without_waiting_for_a_lock(engine, run)
        await editing.rollback()

    # Then the job finished without the edit's lock: the stale prompt cleared, the follow-up sent
    assert counts["checkin_prompt_due"] == counts["checkin_prompt_dropped"] == 1
    assert counts["checkin_followup_notified"] == 1
    async with engine.connect() as connection:
        sent = await notices(connection)
    assert [notice.data["subtype"] for notice in sent] == ["checkin_followup"]
