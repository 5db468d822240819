"""How a goal row is shown: the Goal shape of docs/domain.md §5, "today" being its owner's local date."""

from __future__ import annotations

from api.goals.schemas import GoalOut, WeekProgressOut
from api.structs import struct_from_row
from db.goals import GoalRow
from domain.goal_rules import GoalSchedule
from domain.local_time import local_monday
from domain.schedule import FrequencyType, is_scheduled
from domain.streaks import GoalStreakStats, week_progress


def stored_schedule(goal: GoalRow) -> GoalSchedule:
    days = None if goal.target_days is None else tuple(goal.target_days)
    return GoalSchedule(FrequencyType(goal.frequency_type), goal.frequency_count, days)


def goal_out(goal: GoalRow) -> GoalOut:
    # A counter of another week reads as 0 this week (§3.3): no job resets it.
    progress = week_progress(
        GoalStreakStats(week_completions=goal.week_completions, week_start_date=goal.week_start_date),
        local_monday(goal.owner_today),
        goal.frequency_type,
        goal.frequency_count,
    )
    return struct_from_row(
        GoalOut,
        goal,
        is_scheduled_today=is_scheduled(goal.frequency_type, goal.target_days, goal.owner_today),
        today_checkin_status=goal.today_status,
        progress_this_week=None if progress is None else WeekProgressOut(progress.completed, progress.target),
    )
