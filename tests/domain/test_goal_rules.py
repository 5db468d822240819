import pytest

from domain.errors import InvalidInput, PlanLimitReached, RuleBroken
from domain.goal_rules import (
    GoalSchedule,
    ensure_can_activate,
    ensure_can_create_goal,
    ensure_schedule_unlocked,
    normalize_goal_title,
    normalize_reminder_times,
    normalize_schedule,
)
from domain.schedule import FrequencyType


def test_title_is_trimmed_and_required() -> None:
    assert normalize_goal_title("  Run 5k ") == "Run 5k"
    with pytest.raises(RuleBroken):
        normalize_goal_title("   ")


def test_daily_schedule_forces_count_one_and_no_days() -> None:
    assert normalize_schedule("daily", 4, [1, 2]) == GoalSchedule(FrequencyType.DAILY, 1, None)


def test_weekly_schedule_needs_exactly_count_distinct_days_in_range() -> None:
    assert normalize_schedule("weekly", 2, [4, 1]) == GoalSchedule(FrequencyType.WEEKLY, 2, (1, 4))
    assert normalize_schedule("weekly", None, [0, 6, 3]).frequency_count == 3
    for count, days in [(2, [1]), (0, []), (8, list(range(7))), (1, [7]), (2, [1, 1])]:
        with pytest.raises(RuleBroken):
            normalize_schedule("weekly", count, days)
    with pytest.raises(InvalidInput):
        normalize_schedule("monthly", 1, None)


def test_reminder_times_default_dedupe_sort_and_limits() -> None:
    assert normalize_reminder_times(None, 1) == ("18:00",)
    assert normalize_reminder_times(["18:00", "07:30", "07:30:00"], 5) == ("07:30", "18:00")
    with pytest.raises(PlanLimitReached) as raised:
        normalize_reminder_times(["07:00", "18:00"], 1)
    assert raised.value.extra == {"limit": 1, "requested": 2}
    with pytest.raises(RuleBroken):
        normalize_reminder_times([], 5)
    with pytest.raises(RuleBroken):
        normalize_reminder_times([f"0{h}:00" for h in range(6)], None)
    with pytest.raises(InvalidInput):
        normalize_reminder_times(["25:00"], 5)


def test_schedule_locks_after_the_first_completion() -> None:
    daily = GoalSchedule(FrequencyType.DAILY, 1, None)
    weekly = GoalSchedule(FrequencyType.WEEKLY, 1, (1,))
    ensure_schedule_unlocked(0, daily, weekly)
    ensure_schedule_unlocked(5, daily, daily)
    with pytest.raises(RuleBroken, match="Archive it") as raised:
        ensure_schedule_unlocked(1, daily, weekly)
    assert raised.value.code == "schedule_locked"


def test_goal_caps_for_create_and_activate() -> None:
    ensure_can_create_goal(1, 2)
    ensure_can_create_goal(50, None)
    with pytest.raises(PlanLimitReached):
        ensure_can_create_goal(2, 2)
    ensure_can_activate("paused", active_goals=1, non_archived_goals=2, active_goal_limit=2)
    with pytest.raises(PlanLimitReached):
        ensure_can_activate("paused", active_goals=2, non_archived_goals=2, active_goal_limit=2)
    with pytest.raises(PlanLimitReached):
        ensure_can_activate("archived", active_goals=1, non_archived_goals=2, active_goal_limit=2)
    ensure_can_activate("active", active_goals=9, non_archived_goals=9, active_goal_limit=2)
