"""Goal validation and caps (§3.1): title, schedule, reminder times, schedule lock, goal limits.

The API calls these before writing; each failure is a domain exception the API maps to a status.
"""

from collections.abc import Sequence
from dataclasses import dataclass
from enum import StrEnum

from domain.errors import InvalidInput, PlanLimitReached, RuleBroken
from domain.local_time import parse_hhmm
from domain.plans import within_limit
from domain.schedule import FrequencyType

__all__ = [
    "DEFAULT_REMINDER_TIMES",
    "MAX_REMINDER_TIMES",
    "GoalSchedule",
    "GoalStatus",
    "ensure_can_activate",
    "ensure_can_create_goal",
    "ensure_schedule_unlocked",
    "normalize_goal_title",
    "normalize_reminder_times",
    "normalize_schedule",
]

DEFAULT_REMINDER_TIMES: tuple[str, ...] = ("18:00",)
# Absolute cap on reminder times per goal (the premium plan's multiple_reminder_times).
MAX_REMINDER_TIMES = 5

_WEEKDAY_NAMES = ("Sunday", "Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday")


class GoalStatus(StrEnum):
    ACTIVE = "active"
    PAUSED = "paused"
    ARCHIVED = "archived"


@dataclass(frozen=True, slots=True)
class GoalSchedule:
    frequency_type: FrequencyType
    frequency_count: int
    target_days: tuple[int, ...] | None

    def describe_days(self) -> str:
        """The scheduled days for a message ("Monday, Thursday"; "every day")."""
        if self.target_days is None:
            return "every day"
        return ", ".join(_WEEKDAY_NAMES[day] for day in self.target_days)


def normalize_goal_title(title: str) -> str:
    """The trimmed title; an empty one breaks the rule (400)."""
    trimmed = title.strip()
    if not trimmed:
        raise RuleBroken("A goal needs a title.", code="title_required")
    return trimmed


def normalize_schedule(
    frequency_type: str, frequency_count: int | None, target_days: Sequence[int] | None
) -> GoalSchedule:
    """Daily forces count 1 and no target days. Weekly needs a count of 1–7 and exactly that many distinct
    days in 0–6 (0 = Sunday), stored sorted; a repeated day counts once. A weekly goal sent without a
    count takes the number of days.
    """
    try:
        kind = FrequencyType(frequency_type)
    except ValueError:
        raise InvalidInput("frequency_type must be 'daily' or 'weekly'.", code="invalid_frequency") from None
    if kind is FrequencyType.DAILY:
        return GoalSchedule(kind, 1, None)
    days = tuple(sorted(set(target_days or ())))
    count = len(days) if frequency_count is None else frequency_count
    if not 1 <= count <= 7:
        raise RuleBroken("A weekly goal needs between 1 and 7 days a week.", code="invalid_frequency_count")
    if any(not 0 <= day <= 6 for day in days):
        raise RuleBroken("target_days take values 0 (Sunday) to 6 (Saturday).", code="invalid_target_days")
    if len(days) != count:
        raise RuleBroken(
            f"A weekly goal of {count} days a week needs exactly {count} different target days.",
            code="invalid_target_days",
        )
    return GoalSchedule(kind, count, days)


def normalize_reminder_times(reminder_times: Sequence[str] | None, plan_limit: int | None) -> tuple[str, ...]:
    """Reminder times as distinct sorted "HH:MM" strings (default ["18:00"]).

    Bad strings → InvalidInput (422); none → RuleBroken (400); more than the plan's
    multiple_reminder_times (``plan_limit``, None = unlimited) → PlanLimitReached (403); more than 5 → 400.
    Exact duplicates after normalising ("8:00" and "08:00") count once.
    """
    if reminder_times is None:
        return DEFAULT_REMINDER_TIMES
    times = tuple(sorted({parse_hhmm(value) for value in reminder_times}))
    if not times:
        raise RuleBroken("A goal needs at least one reminder time.", code="reminder_times_required")
    if plan_limit is not None and len(times) > plan_limit:
        raise PlanLimitReached(
            f"Your plan allows {plan_limit} reminder time{'s' if plan_limit != 1 else ''} per goal.",
            code="reminder_times_limit",
            extra={"limit": plan_limit, "requested": len(times)},
        )
    if len(times) > MAX_REMINDER_TIMES:
        raise RuleBroken(
            f"A goal can have at most {MAX_REMINDER_TIMES} reminder times.", code="too_many_reminders"
        )
    return times


def ensure_schedule_unlocked(total_completions: int, current: GoalSchedule, requested: GoalSchedule) -> None:
    """Once a goal has completions its schedule is fixed (400): archive it and create a new goal instead."""
    if total_completions > 0 and requested != current:
        raise RuleBroken(
            "This goal's schedule can't change once you've completed it. "
            "Archive it and create a new goal with the new schedule.",
            code="schedule_locked",
        )


def _goal_limit_reached(limit: int | None, used: int) -> PlanLimitReached:
    return PlanLimitReached(
        f"Your plan allows {limit} active goals. Archive a goal or upgrade to add more.",
        code="goal_limit_reached",
        extra={"limit": limit, "count": used},
    )


def ensure_can_create_goal(non_archived_goals: int, active_goal_limit: int | None) -> None:
    """Creating needs fewer non-archived (active + paused) goals than the plan's limit (else 403)."""
    if not within_limit(non_archived_goals, active_goal_limit):
        raise _goal_limit_reached(active_goal_limit, non_archived_goals)


def ensure_can_activate(
    current_status: str, active_goals: int, non_archived_goals: int, active_goal_limit: int | None
) -> None:
    """paused → active needs active goals below the limit; archived → active needs non-archived goals
    below it (the goal rejoins the cap). Activating an active goal is a no-op."""
    status = GoalStatus(current_status)
    if status is GoalStatus.PAUSED and not within_limit(active_goals, active_goal_limit):
        raise _goal_limit_reached(active_goal_limit, active_goals)
    if status is GoalStatus.ARCHIVED and not within_limit(non_archived_goals, active_goal_limit):
        raise _goal_limit_reached(active_goal_limit, non_archived_goals)
