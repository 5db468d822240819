"""What the goal insights tests share: a seeded history with hand-computed metrics, rows and messages."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from typing import Any, Final
from uuid import UUID

import sqlalchemy as sa
from redis.asyncio import Redis
from sqlalchemy.ext.asyncio import AsyncConnection

from db.insight_facts import goal_facts
from db.tables import check_ins, pattern_insights
from services.goal_insights import Prepared, claim_goals
from services.messages import ActorAddress
from settings import Settings
from tests.support.queues import QueueProbe
from tests.support.rows import insert_goal_row, insert_user_row

# (days before the local today, status, skip reason) of SEEDED_HISTORY; answered rows only count.
HISTORY: Final = (
    (0, "pending", None),
    (1, "completed", None),  # Tue
    (2, "skipped", "tired"),  # Mon
    (3, "completed", None),  # Sun
    (4, "rest_day", None),  # Sat
    (5, "missed", None),  # Fri
    (6, "completed", None),  # Thu: the oldest day of the 7
    (7, "skipped", None),  # Wed: a missing reason counts as other
    (10, "completed", None),  # Sun
    (29, "completed", None),  # Tue: the oldest day of the 30
    (30, "skipped", "sick"),  # Mon: in the 90 days only
    (89, "completed", None),  # Fri: the oldest day of the 90
    (90, "completed", None),  # out of every window
)
# Worked by hand from HISTORY with a local today of Wednesday 2026-03-11 and the goal's streaks 2 / 5:
# 7 days: 5 answered, 3 completed; 30 days: 8 answered, 5 completed; 90 days: 10 answered. Weekdays
# with 2+ answered rows: Sunday 2/2, Monday 0/2, Tuesday 2/2: best Sunday (the lower index of the
# tie), worst Monday.
EXPECTED_METRICS: Final = {
    "completion_rate_30d": 62.5,
    "completion_rate_7d": 60.0,
    "current_streak": 2,
    "longest_streak": 5,
    "total_checkins_30d": 8,
    "completed_checkins_30d": 5,
    "best_day_index": 0,
    "best_day_rate": 100.0,
    "worst_day_index": 1,
    "worst_day_rate": 0.0,
}
EXPECTED_ANSWERED_90D: Final = 10


# The instant of the service and actor tests, and its local date in UTC (a Wednesday, as HISTORY).
CLAIM_NOW: Final = datetime(2026, 3, 11, 12, tzinfo=UTC)


async def claimed_goal(connection: AsyncConnection) -> tuple[UUID, list[Prepared]]:
    user_id = await insert_user_row(connection, plan="premium")
    goal_id = await insert_goal_row(connection, user_id)
    await seed_history(connection, user_id, goal_id, CLAIM_NOW.date())
    facts = await goal_facts(connection, [goal_id], now=CLAIM_NOW, user_id=user_id)
    return goal_id, await claim_goals(connection, facts, now=CLAIM_NOW)


async def seed_history(connection: AsyncConnection, user_id: UUID, goal_id: UUID, today: date) -> None:
    rows = [
        {
            "user_id": user_id,
            "goal_id": goal_id,
            "check_in_date": today - timedelta(days=days_ago),
            "status": status,
            "skip_reason": reason,
        }
        for days_ago, status, reason in HISTORY
    ]
    await connection.execute(sa.insert(check_ins), rows)


async def add_completed(connection: AsyncConnection, user_id: UUID, goal_id: UUID, days: list[date]) -> None:
    rows = [
        {"user_id": user_id, "goal_id": goal_id, "check_in_date": day, "status": "completed"} for day in days
    ]
    await connection.execute(sa.insert(check_ins), rows)


async def insight_of(connection: AsyncConnection, goal_id: UUID) -> sa.Row[Any] | None:
    statement = sa.select(pattern_insights).where(pattern_insights.c.goal_id == goal_id)
    return (await connection.execute(statement)).first()


async def set_generating(connection: AsyncConnection, user_id: UUID, goal_id: UUID, since: datetime) -> None:
    await connection.execute(
        sa.insert(pattern_insights).values(
            goal_id=goal_id, user_id=user_id, status="generating", claim_id=UUID(int=1), updated_at=since
        )
    )


async def queued(redis: Redis, settings: Settings, address: ActorAddress) -> list[list[Any]]:
    """The arguments of every message waiting for the actor at `address`, on its queue."""
    messages = await QueueProbe(redis, settings, address.queue_name).messages()
    return [message["args"] for message in messages if message["actor_name"] == address.actor_name]
