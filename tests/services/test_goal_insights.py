"""services/goal_insights.py below the API: one generation per goal at a time, and a broken
generation stored as failed."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy.ext.asyncio import AsyncConnection

from db.insight_facts import goal_facts
from services.ai.model import ChatPrompt, Conversation, DeltaSink, ModelReply
from services.goal_insights import claim_goals, complete_generation
from tests.support.insights import CLAIM_NOW as NOW
from tests.support.insights import claimed_goal, insight_of
from tests.support.savepoint_database import SavepointDatabase


class BrokenModel:
    """A model client that breaks its contract (it must never raise): a bug, not model trouble."""

    async def complete(self, prompt: ChatPrompt) -> str | None:
        raise RuntimeError("the client broke")

    async def converse(
        self, conversation: Conversation, on_delta: DeltaSink | None = None
    ) -> ModelReply | None:
        raise RuntimeError("the client broke")

    async def aclose(self) -> None:
        return None


async def test_a_goal_is_claimed_by_one_generation_at_a_time(connection: AsyncConnection) -> None:
    goal_id, first = await claimed_goal(connection)
    facts = await goal_facts(connection, [goal_id], now=NOW, user_id=None)

    assert [item.claim.goal_id for item in first] == [goal_id]
    assert await claim_goals(connection, facts, now=NOW + timedelta(minutes=14)) == []
    # past STALE_GENERATING the row is free again, under a new claim
    taken_over = await claim_goals(connection, facts, now=NOW + timedelta(minutes=16))
    assert [item.claim.goal_id for item in taken_over] == [goal_id]
    assert taken_over[0].claim.claim_id != first[0].claim.claim_id


async def test_a_broken_generation_is_stored_as_failed(
    connection: AsyncConnection, database: SavepointDatabase
) -> None:
    goal_id, prepared = await claimed_goal(connection)

    stored = await complete_generation(database, BrokenModel(), prepared, now=NOW)

    assert stored == set()
    row = await insight_of(connection, goal_id)
    assert row is not None
    assert (row.status, row.error_message, row.claim_id) == ("failed", "RuntimeError", None)
