"""Request and response bodies of /goals (the Goal shape of docs/domain.md §5).

Shapes are checked here (422); the rules on values (trimmed title, schedule, reminder count against
the plan) are domain.goal_rules' (400 / 403), so a weekday of 9 is a broken rule, not a malformed body.
"""

from __future__ import annotations

from datetime import date, datetime
from typing import Annotated, Literal
from uuid import UUID

import msgspec
from msgspec import UNSET, Meta, UnsetType

from domain.goal_rules import MAX_REMINDER_TIMES

# Bounds on what people type; the columns are text, these keep rows and responses small.
Title = Annotated[str, Meta(max_length=200)]
WhyStatement = Annotated[str, Meta(max_length=1000)]
FrequencyType = Literal["daily", "weekly"]
GoalStatusName = Literal["active", "paused", "archived"]
# Range and count are rules (400); only the list's size is shape.
TargetDays = Annotated[list[int], Meta(max_length=7)]
# "HH:MM" or "HH:MM:SS"; the exact format is checked by domain.local_time.parse_hhmm (422).
ReminderTimes = Annotated[list[Annotated[str, Meta(max_length=8)]], Meta(max_length=MAX_REMINDER_TIMES)]


class GoalCreateIn(msgspec.Struct, forbid_unknown_fields=True):
    title: Title
    frequency_type: FrequencyType
    frequency_count: int | None = None
    target_days: TargetDays | None = None
    reminder_times: ReminderTimes | None = None
    why_statement: WhyStatement | None = None


class GoalUpdateIn(msgspec.Struct, forbid_unknown_fields=True):
    """Any subset of the editable fields; a field left out is left unchanged, null clears
    why_statement (and, for the schedule, means "derive it": a weekly count from its days)."""

    title: Title | UnsetType = UNSET
    frequency_type: FrequencyType | UnsetType = UNSET
    frequency_count: int | UnsetType | None = UNSET
    target_days: TargetDays | UnsetType | None = UNSET
    reminder_times: ReminderTimes | UnsetType = UNSET
    why_statement: WhyStatement | UnsetType | None = UNSET
    status: GoalStatusName | UnsetType = UNSET


class WeekProgressOut(msgspec.Struct):
    completed: int
    target: int


class GoalOut(msgspec.Struct):
    id: UUID
    user_id: UUID
    title: str
    frequency_type: str
    frequency_count: int
    target_days: list[int] | None
    reminder_times: list[str]
    why_statement: str | None
    status: str
    current_streak: int
    longest_streak: int
    total_completions: int
    last_completed_date: date | None
    created_at: datetime
    updated_at: datetime
    is_scheduled_today: bool
    today_checkin_status: str | None
    progress_this_week: WeekProgressOut | None


class GoalActionOut(msgspec.Struct):
    message: str
    goal: GoalOut


class MessageOut(msgspec.Struct):
    message: str


class GoalStatsOut(msgspec.Struct):
    goal_id: UUID
    title: str
    current_streak: int
    longest_streak: int
    total_completions: int
    total_checkins: int
    completed_checkins: int
    completion_rate: float
    checkins_last_7d: int
    checkins_last_30d: int
    goal_created: datetime


class GoalsSummaryOut(msgspec.Struct):
    """The app's `GoalsSummaryStats` fields (goals by status, settled check-ins, best streaks over every
    goal) beside this API's user streak over active goals (§3.3)."""

    total_goals: int
    active_goals: int
    paused_goals: int
    archived_goals: int
    total_checkins: int
    completed_checkins: int
    completion_rate: float
    best_streak_ever: int
    current_best_streak: int
    total_completions: int
    current_streak: int
    longest_streak: int
