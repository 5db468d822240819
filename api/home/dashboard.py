"""The home screen in one statement: the active goals (with their owner's local today, computed by
db/goals.py), each with its still-pending row of that date."""

from __future__ import annotations

from datetime import datetime
from uuid import UUID

from sqlalchemy.ext.asyncio import AsyncConnection

from api.goals.views import goal_out
from api.home.schemas import DashboardOut, PendingCheckInDataOut, PendingCheckInItemOut
from api.pagination import MAX_LIMIT
from db.goals import active_goals_with_pending_today
from domain.streaks import user_longest_streak, user_streak


async def dashboard(connection: AsyncConnection, *, user_id: UUID, now: datetime) -> DashboardOut:
    # Active goals are capped by the plan (at most 10), far below one page.
    active = await active_goals_with_pending_today(connection, user_id, now=now, limit=MAX_LIMIT)
    items = [
        PendingCheckInItemOut(
            data=PendingCheckInDataOut(
                id=pending_id, goal_id=row.goal.id, check_in_date=row.goal.owner_today
            ),
            item=goal_out(row.goal),
        )
        for row in active
        if (pending_id := row.pending_checkin_id) is not None
    ]
    return DashboardOut(
        today_pending_checkins=items,
        current_streak=user_streak(row.goal.current_streak for row in active),
        longest_streak=user_longest_streak(row.goal.longest_streak for row in active),
    )
