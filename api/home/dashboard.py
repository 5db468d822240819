"""The home screen in two statements: the active goals (with their owner's local today, computed by
db/goals.py), then today's pending rows. A user without active goals costs one statement."""

from __future__ import annotations

from datetime import datetime
from uuid import UUID

from sqlalchemy.ext.asyncio import AsyncConnection

from api.goals.views import goal_out
from api.home.schemas import Dashboard, PendingCheckInData, PendingCheckInItem
from api.pagination import MAX_LIMIT
from db.checkins import pending_checkins_on
from db.goals import list_goals
from domain.streaks import user_longest_streak, user_streak


async def dashboard(connection: AsyncConnection, *, user_id: UUID, now: datetime) -> Dashboard:
    # Active goals are capped by the plan (at most 10), far below one page.
    active = await list_goals(
        connection, user_id, now=now, active_only=True, with_today_status=True, limit=MAX_LIMIT
    )
    if not active:
        return Dashboard(today_pending_checkins=[], current_streak=0, longest_streak=0)
    pending = await pending_checkins_on(connection, user_id=user_id, local_date=active[0].owner_today)
    pending_by_goal = {row.goal_id: row for row in pending}
    items = [
        PendingCheckInItem(
            data=PendingCheckInData(id=row.id, goal_id=goal.id, check_in_date=row.check_in_date),
            item=goal_out(goal),
        )
        for goal in active
        if (row := pending_by_goal.get(goal.id)) is not None
    ]
    return Dashboard(
        today_pending_checkins=items,
        current_streak=user_streak(goal.current_streak for goal in active),
        longest_streak=user_longest_streak(goal.longest_streak for goal in active),
    )
