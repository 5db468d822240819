"""notify_streak_milestone: the notice a completed answer may earn (§3.2, §3.11)."""

from __future__ import annotations

from datetime import date

from sqlalchemy.ext.asyncio import AsyncConnection

from services.streak_milestones import notify_streak_milestone
from services.transaction import Transaction
from tests.jobs.scheduling_support import (
    add_goal,
    add_user,
    notices,
)
from tests.support.rows import utc

NOW = utc("2025-06-10T18:05")


async def test_a_milestone_streak_is_celebrated_once_per_goal_milestone_and_streak(
    connection: AsyncConnection,
) -> None:
    # Given a goal whose streak started on June 4th
    user_id = await add_user(connection)
    goal_id = await add_goal(connection, user_id, now=NOW, title="Stretch")

    async def reach(streak: int, started: date) -> int:
        created = await notify_streak_milestone(
            Transaction(connection),
            user_id=user_id,
            goal_id=goal_id,
            goal_title="Stretch",
            streak=streak,
            streak_start_date=started,
            now=NOW,
        )
        return len(created.notification_ids)

    # When the streak reaches 6, 7, 7 again (a repeated call), 8, then 7 again in a new streak
    written = [
        await reach(6, date(2025, 6, 4)),
        await reach(7, date(2025, 6, 4)),
        await reach(7, date(2025, 6, 4)),
        await reach(8, date(2025, 6, 4)),
        await reach(7, date(2025, 6, 20)),
    ]

    # Then only the two first arrivals at 7 wrote a notice (with a device: a delivery each)
    assert written == [0, 1, 0, 0, 1]
    sent = await notices(connection)
    assert [notice.dedupe_key for notice in sent] == [
        f"streak_milestone:{goal_id}:7:2025-06-04",
        f"streak_milestone:{goal_id}:7:2025-06-20",
    ]
    assert sent[0].notification_type == "streak_milestone"
    assert sent[0].data == {
        "type": "streak_milestone",
        "goalId": str(goal_id),
        "streak": 7,
        "deepLink": f"/(user)/(goals)/details?id={goal_id}",
    }
    assert {notice.push_status for notice in sent} == {"pending"}
