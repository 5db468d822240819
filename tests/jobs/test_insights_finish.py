"""insights.finish (workers/jobs/insights.py): it completes a generation a request left past its
budget, only while the request's claim still holds the row."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy.ext.asyncio import AsyncConnection

from db.insight_facts import goal_facts
from services.goal_insights import claim_goals
from settings import Settings
from tests.jobs.scheduling_support import job_context
from tests.support.insights import CLAIM_NOW as NOW
from tests.support.insights import claimed_goal, insight_of
from tests.support.savepoint_database import SavepointDatabase
from workers.jobs.insights import finish_generations


async def test_finish_completes_a_held_claim_once(
    connection: AsyncConnection, database: SavepointDatabase, settings: Settings
) -> None:
    goal_id, prepared = await claimed_goal(connection)
    claims = {goal_id: prepared[0].claim.claim_id}
    context = job_context(database, settings)

    first = await finish_generations(context, claims, now=NOW)
    again = await finish_generations(context, claims, now=NOW + timedelta(minutes=1))

    assert (first["held"], first["stored"]) == (1, 1)
    assert (again["held"], again["stored"]) == (0, 0)
    row = await insight_of(connection, goal_id)
    assert row is not None
    assert (row.status, row.generated_at) == ("completed", NOW)


async def test_finish_of_a_claim_taken_over_stores_nothing(
    connection: AsyncConnection, database: SavepointDatabase, settings: Settings
) -> None:
    goal_id, prepared = await claimed_goal(connection)
    facts = await goal_facts(connection, [goal_id], now=NOW, user_id=None)
    newer = await claim_goals(connection, facts, now=NOW + timedelta(minutes=16))

    counts = await finish_generations(
        job_context(database, settings), {goal_id: prepared[0].claim.claim_id}, now=NOW
    )

    assert counts["held"] == 0
    row = await insight_of(connection, goal_id)
    assert row is not None
    assert (row.status, row.claim_id) == ("generating", newer[0].claim.claim_id)
