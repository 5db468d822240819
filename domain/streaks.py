"""Goal streaks and weekly progress: the one streak rule (§3.3, traps 1 and 2).

A streak counts a goal's consecutive completed *occurrences* (check-in rows, not calendar days), so
a Monday/Thursday goal builds a streak across the gap. Walking back from the latest non-pending row:

============  ===========================
status        effect
============  ===========================
completed     +1, keep walking
rest_day      +0, keep walking
pending       ignored
skipped       stop
missed        stop
============  ===========================

:func:`apply_answer` and :func:`apply_missed` are the incremental upkeep done under the goal row lock;
:func:`recompute_stats` is the full walk used for repair and to prove the incremental path right.
They agree whenever the rows were applied in date order (see :func:`apply_missed`).
"""

from collections.abc import Iterable
from dataclasses import dataclass, replace
from datetime import date
from enum import StrEnum
from typing import NamedTuple

from domain.local_time import local_monday
from domain.schedule import FrequencyType

__all__ = [
    "ANSWERED_STATUSES",
    "STREAK_MILESTONES",
    "AnswerStatus",
    "CheckInStatus",
    "GoalStreakStats",
    "StreakRecount",
    "WeekProgress",
    "answer_status",
    "apply_answer",
    "apply_missed",
    "is_streak_milestone",
    "next_streak_milestone",
    "recompute_stats",
    "recompute_streaks",
    "user_longest_streak",
    "user_streak",
    "week_progress",
]

# A streak-milestone notice goes out when the new streak is one of these (§3.2, §3.11).
STREAK_MILESTONES: tuple[int, ...] = (7, 14, 21, 30, 50, 100, 200, 365, 500, 730, 1000)


class CheckInStatus(StrEnum):
    PENDING = "pending"
    COMPLETED = "completed"
    SKIPPED = "skipped"
    MISSED = "missed"
    REST_DAY = "rest_day"


class AnswerStatus(StrEnum):
    """The statuses a user can answer with (the "answered" statuses of §1.1)."""

    COMPLETED = "completed"
    SKIPPED = "skipped"
    REST_DAY = "rest_day"


# Answered rows count as checked in; pending never does, missed is not an answer (§1.1, trap 4).
ANSWERED_STATUSES = frozenset({CheckInStatus.COMPLETED, CheckInStatus.SKIPPED, CheckInStatus.REST_DAY})


def answer_status(*, completed: bool, is_rest_day: bool = False) -> AnswerStatus:
    """The status of POST /check-ins: rest day wins, then completed, else skipped (§3.2)."""
    if is_rest_day:
        return AnswerStatus.REST_DAY
    return AnswerStatus.COMPLETED if completed else AnswerStatus.SKIPPED


@dataclass(frozen=True, slots=True)
class GoalStreakStats:
    """The streak and progress columns of a goal row; the defaults are a new goal's."""

    current_streak: int = 0
    longest_streak: int = 0
    total_completions: int = 0
    streak_start_date: date | None = None
    last_completed_date: date | None = None
    last_checkin_date: date | None = None
    week_completions: int = 0
    week_start_date: date | None = None


def apply_answer(stats: GoalStreakStats, status: str, local_date: date) -> GoalStreakStats:
    """The goal's stats after the user answers the occurrence of ``local_date`` with ``status``.

    completed: current + 1, longest = max, total + 1, last_completed_date, streak_start_date set when
    the streak was 0, and the weekly counter (reset when the local Monday changed, else + 1).
    rest_day: streak unchanged. skipped: current 0, streak_start_date None. Every answer moves
    last_checkin_date to the latest answered date.
    """
    answer = AnswerStatus(status)
    last_checkin = local_date if stats.last_checkin_date is None else max(stats.last_checkin_date, local_date)
    if answer is AnswerStatus.REST_DAY:
        return replace(stats, last_checkin_date=last_checkin)
    if answer is AnswerStatus.SKIPPED:
        return replace(stats, current_streak=0, streak_start_date=None, last_checkin_date=last_checkin)
    current = stats.current_streak + 1
    monday = local_monday(local_date)
    same_week = stats.week_start_date == monday
    return replace(
        stats,
        current_streak=current,
        longest_streak=max(stats.longest_streak, current),
        total_completions=stats.total_completions + 1,
        streak_start_date=local_date if stats.current_streak == 0 else stats.streak_start_date,
        last_completed_date=local_date,
        last_checkin_date=last_checkin,
        week_completions=stats.week_completions + 1 if same_week else 1,
        week_start_date=monday,
    )


def apply_missed(stats: GoalStreakStats) -> GoalStreakStats:
    """The goal's stats after one of its pending rows turned missed: the streak resets (§3.2).

    Rows must be applied in date order. The answering transaction should therefore turn the goal's
    older pending rows into missed (and apply this) before applying today's answer; otherwise a late
    missed-job run would zero a streak that the full walk says continues.
    """
    return replace(stats, current_streak=0, streak_start_date=None)


class StreakRecount(NamedTuple):
    current: int
    longest: int
    streak_start: date | None


def recompute_streaks(occurrences: Iterable[tuple[date, str]]) -> StreakRecount:
    """Current streak, longest streak and start of the current streak from a goal's rows.

    Rows are ordered by date here. Pending rows are ignored; rest days continue a run without adding;
    skipped and missed end it. The current streak starts at its earliest completed row.
    """
    current = longest = 0
    streak_start: date | None = None
    for local_date, raw_status in sorted(occurrences, key=lambda row: row[0]):
        status = CheckInStatus(raw_status)
        if status is CheckInStatus.COMPLETED:
            if current == 0:
                streak_start = local_date
            current += 1
            longest = max(longest, current)
        elif status in (CheckInStatus.SKIPPED, CheckInStatus.MISSED):
            current, streak_start = 0, None
    return StreakRecount(current, longest, streak_start)


def recompute_stats(occurrences: Iterable[tuple[date, str]]) -> GoalStreakStats:
    """Every streak and progress column of a goal, rebuilt from its rows (repair and tests)."""
    rows = sorted(((day, CheckInStatus(status)) for day, status in occurrences), key=lambda row: row[0])
    recount = recompute_streaks(rows)
    completed = [day for day, status in rows if status is CheckInStatus.COMPLETED]
    answered = [day for day, status in rows if status in ANSWERED_STATUSES]
    last_completed = completed[-1] if completed else None
    week_start = local_monday(last_completed) if last_completed else None
    return GoalStreakStats(
        current_streak=recount.current,
        longest_streak=recount.longest,
        total_completions=len(completed),
        streak_start_date=recount.streak_start,
        last_completed_date=last_completed,
        last_checkin_date=answered[-1] if answered else None,
        week_completions=sum(1 for day in completed if local_monday(day) == week_start),
        week_start_date=week_start,
    )


class WeekProgress(NamedTuple):
    completed: int
    target: int


def week_progress(
    stats: GoalStreakStats, today_monday: date, frequency_type: str, frequency_count: int
) -> WeekProgress | None:
    """ "X of Y" this local week for weekly goals; None for daily goals.

    The counter is stale (reads as 0) when it belongs to another week, so no reset job is needed.
    """
    if frequency_type != FrequencyType.WEEKLY:
        return None
    completed = stats.week_completions if stats.week_start_date == today_monday else 0
    return WeekProgress(completed=completed, target=frequency_count)


def user_streak(current_streaks: Iterable[int]) -> int:
    """The user streak: the highest current streak among the user's active goals (0 without goals)."""
    return max(current_streaks, default=0)


def user_longest_streak(longest_streaks: Iterable[int]) -> int:
    """The home screen's longest streak: the highest longest streak among the same active goals."""
    return max(longest_streaks, default=0)


def is_streak_milestone(streak: int) -> bool:
    return streak in STREAK_MILESTONES


def next_streak_milestone(streak: int) -> int | None:
    """The smallest milestone above ``streak`` (None past the last one)."""
    return next((milestone for milestone in STREAK_MILESTONES if milestone > streak), None)
