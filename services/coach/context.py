"""What the coach is told about the caller (client-behaviour §7.4): the facts of the system prompt and the
conversation's newest messages, read in the claim's transaction from the caller's own rows only, with
the db modules the API's routes use."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, timedelta

from sqlalchemy.ext.asyncio import AsyncConnection

from db.checkins import CheckInFilter, active_goal_streaks, checkin_page, checkin_totals
from db.coach_turns import ClaimedMessage, HistoryMessage, TurnOwner, history
from db.goals import GoalRow, list_goals, owned_goal
from domain.coach import (
    HISTORY_MESSAGES,
    MAX_FACT_GOALS,
    CoachFacts,
    FactGoal,
    FocusCheckIn,
    FocusGoal,
)
from domain.local_time import local_today
from domain.motivation_style import first_name

__all__ = ["TurnContext", "turn_context"]

FOCUS_CHECKINS = 5
FOCUS_DAYS = 7


@dataclass(frozen=True, slots=True)
class TurnContext:
    facts: CoachFacts
    history: list[HistoryMessage]
    today: date


def _fact_goal(goal: GoalRow) -> FactGoal:
    return FactGoal(
        title=goal.title,
        frequency_type=goal.frequency_type,
        frequency_count=goal.frequency_count,
        current_streak=goal.current_streak,
        week_completions=goal.week_completions,
        why_statement=goal.why_statement,
    )


async def _focus(
    connection: AsyncConnection, message: ClaimedMessage, today: date, now: datetime
) -> FocusGoal | None:
    if message.goal_id is None:
        return None
    goal = await owned_goal(connection, message.user_id, message.goal_id, now=now)
    if goal is None:  # deleted since the message was accepted
        return None
    selection = CheckInFilter(
        user_id=message.user_id,
        goal_id=goal.id,
        first_date=today - timedelta(days=FOCUS_DAYS - 1),
        last_date=today,
        exclude_pending=True,
    )
    checkins = await checkin_page(connection, selection, limit=FOCUS_CHECKINS)
    return FocusGoal(
        goal=_fact_goal(goal),
        status=goal.status,
        target_days=goal.target_days,
        reminder_times=goal.reminder_times,
        created_on=goal.created_at.date(),
        longest_streak=goal.longest_streak,
        total_completions=goal.total_completions,
        checkins=[FocusCheckIn(row.check_in_date, row.status, row.mood, row.note) for row in checkins],
    )


async def turn_context(
    connection: AsyncConnection, message: ClaimedMessage, owner: TurnOwner, *, now: datetime
) -> TurnContext:
    today = local_today(owner.timezone, now)
    goals = await list_goals(
        connection, message.user_id, now=now, active_only=True, with_today_status=False, limit=MAX_FACT_GOALS
    )
    totals = await checkin_totals(
        connection,
        user_id=message.user_id,
        goal_id=None,
        today=today,
        since_7d=today - timedelta(days=6),
        since_30d=today - timedelta(days=29),
    )
    streaks = await active_goal_streaks(connection, user_id=message.user_id)
    facts = CoachFacts(
        first_name=first_name(owner.name),
        plan=owner.plan,
        motivation_style=owner.motivation_style,
        goals=[_fact_goal(goal) for goal in goals],
        completed_30d=totals.completed_last_30d,
        answered_30d=totals.settled_last_30d,
        longest_streak=max((streak.longest_streak for streak in streaks), default=0),
        focus=await _focus(connection, message, today, now),
    )
    return TurnContext(facts, await history(connection, message, limit=HISTORY_MESSAGES), today)
