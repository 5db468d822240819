import random
from datetime import date, timedelta

import pytest
from hypothesis import given
from hypothesis import strategies as st

from domain.schedule import is_scheduled
from domain.streaks import (
    STREAK_MILESTONES,
    AnswerStatus,
    GoalStreakStats,
    StreakRecount,
    answer_status,
    apply_answer,
    apply_missed,
    is_streak_milestone,
    next_streak_milestone,
    recompute_stats,
    recompute_streaks,
    user_longest_streak,
    user_streak,
    week_progress,
)
from tests.domain.support import FAST, local_dates, weekly_targets

MON = date(2024, 6, 3)  # a Monday


def fold(rows: list[tuple[date, str]]) -> GoalStreakStats:
    """The incremental path: what the answering transaction and the missed job do, row by row."""
    stats = GoalStreakStats()
    for day, status in rows:
        if status == "missed":
            stats = apply_missed(stats)
        elif status != "pending":
            stats = apply_answer(stats, status, day)
    return stats


def brute_force(rows: list[tuple[date, str]]) -> StreakRecount:
    """The straightforward definition: split the decided rows into runs at every skip or miss; a run's
    length is its completed rows; the current streak is the last run."""
    decided = [(day, status) for day, status in sorted(rows) if status != "pending"]
    runs: list[list[date]] = [[]]
    for day, status in decided:
        if status in ("skipped", "missed"):
            runs.append([])
        elif status == "completed":
            runs[-1].append(day)
    current_run = runs[-1]
    return StreakRecount(
        current=len(current_run),
        longest=max(len(run) for run in runs),
        streak_start=current_run[0] if current_run else None,
    )


statuses = st.sampled_from(["completed"] * 5 + ["rest_day", "skipped", "missed", "pending"])


@st.composite
def histories(draw: st.DrawFn) -> list[tuple[date, str]]:
    """Rows of one goal on its scheduled days (daily or a random weekly schedule), in date order."""
    start = draw(local_dates)
    targets = draw(st.none() | weekly_targets)
    count = draw(st.integers(0, 60))
    days: list[date] = []
    day = start
    while len(days) < count:
        if is_scheduled("daily" if targets is None else "weekly", targets, day):
            days.append(day)
        day += timedelta(days=1)
    return [(day, draw(statuses)) for day in days]


@FAST
@given(histories())
def test_incremental_upkeep_agrees_with_the_full_walk_and_the_brute_force_model(
    rows: list[tuple[date, str]],
) -> None:
    incremental = fold(rows)
    walked = recompute_streaks(rows)
    assert walked == brute_force(rows)
    assert (incremental.current_streak, incremental.longest_streak, incremental.streak_start_date) == walked
    assert incremental == recompute_stats(rows)


@FAST
@given(histories(), st.randoms(use_true_random=False))
def test_full_walk_does_not_depend_on_row_order(rows: list[tuple[date, str]], rng: random.Random) -> None:
    shuffled = rows[:]
    rng.shuffle(shuffled)
    assert recompute_streaks(shuffled) == recompute_streaks(rows)


@FAST
@given(histories())
def test_stats_invariants_hold(rows: list[tuple[date, str]]) -> None:
    stats = fold(rows)
    assert 0 <= stats.current_streak <= stats.longest_streak <= stats.total_completions
    assert (stats.streak_start_date is None) == (stats.current_streak == 0)
    assert stats.total_completions == sum(1 for _, status in rows if status == "completed")
    if stats.week_start_date is not None:
        assert stats.week_start_date.weekday() == 0
        assert 1 <= stats.week_completions <= 7


def test_completion_from_zero_starts_a_streak_and_counts_the_week() -> None:
    stats = apply_answer(GoalStreakStats(), "completed", MON)
    assert stats == GoalStreakStats(
        current_streak=1,
        longest_streak=1,
        total_completions=1,
        streak_start_date=MON,
        last_completed_date=MON,
        last_checkin_date=MON,
        week_completions=1,
        week_start_date=MON,
    )


def test_rest_day_keeps_the_streak_and_only_moves_the_last_checkin_date() -> None:
    before = apply_answer(GoalStreakStats(), "completed", MON)
    after = apply_answer(before, "rest_day", MON + timedelta(days=1))
    assert (after.current_streak, after.streak_start_date, after.week_completions) == (1, MON, 1)
    assert after.last_checkin_date == MON + timedelta(days=1)
    assert after.last_completed_date == MON


def test_skip_resets_the_streak_but_keeps_longest_and_totals() -> None:
    stats = fold(
        [(MON, "completed"), (MON + timedelta(days=1), "completed"), (MON + timedelta(days=2), "skipped")]
    )
    assert (stats.current_streak, stats.streak_start_date) == (0, None)
    assert (stats.longest_streak, stats.total_completions) == (2, 2)
    assert stats.last_checkin_date == MON + timedelta(days=2)


def test_missed_resets_the_streak_and_is_not_an_answer() -> None:
    stats = apply_missed(apply_answer(GoalStreakStats(), "completed", MON))
    assert (stats.current_streak, stats.streak_start_date, stats.longest_streak) == (0, None, 1)
    assert stats.last_checkin_date == MON


def test_weekly_goal_on_non_adjacent_days_builds_a_streak_across_the_gaps() -> None:
    # Monday/Thursday for two weeks: four occurrences, no rows in between.
    days = [MON, MON + timedelta(days=3), MON + timedelta(days=7), MON + timedelta(days=10)]
    stats = fold([(day, "completed") for day in days])
    assert (stats.current_streak, stats.streak_start_date) == (4, MON)
    # The counter restarted on the second Monday.
    assert (stats.week_start_date, stats.week_completions) == (MON + timedelta(days=7), 2)


def test_pending_rows_neither_add_nor_break() -> None:
    rows = [(MON, "completed"), (MON + timedelta(days=1), "pending"), (MON + timedelta(days=2), "completed")]
    assert recompute_streaks(rows) == StreakRecount(2, 2, MON)
    assert recompute_streaks([*rows, (MON + timedelta(days=3), "pending")]) == StreakRecount(2, 2, MON)


def test_rest_days_continue_a_run_without_adding() -> None:
    rows = [(MON, "completed"), (MON + timedelta(days=1), "rest_day"), (MON + timedelta(days=2), "completed")]
    assert recompute_streaks(rows) == StreakRecount(2, 2, MON)


def test_streak_start_is_the_first_completion_after_a_break_not_a_rest_day() -> None:
    rows = [(MON, "skipped"), (MON + timedelta(days=1), "rest_day"), (MON + timedelta(days=2), "completed")]
    assert recompute_streaks(rows) == StreakRecount(1, 1, MON + timedelta(days=2))


@pytest.mark.parametrize("status", ["pending", "missed", "done"])
def test_only_answer_statuses_can_be_applied(status: str) -> None:
    with pytest.raises(ValueError, match="not a valid AnswerStatus"):
        apply_answer(GoalStreakStats(), status, MON)


def test_answer_status_prefers_rest_day_then_completed() -> None:
    assert answer_status(completed=True, is_rest_day=True) is AnswerStatus.REST_DAY
    assert answer_status(completed=True) is AnswerStatus.COMPLETED
    assert answer_status(completed=False) is AnswerStatus.SKIPPED


def test_week_progress_reads_zero_for_a_stale_week_and_none_for_daily() -> None:
    stats = fold([(MON, "completed"), (MON + timedelta(days=2), "completed")])
    assert week_progress(stats, MON, "weekly", 3) == (2, 3)
    assert week_progress(stats, MON + timedelta(days=7), "weekly", 3) == (0, 3)
    assert week_progress(stats, MON, "daily", 1) is None


def test_user_streak_is_the_best_current_streak_of_active_goals() -> None:
    assert user_streak([3, 9, 0]) == 9
    assert user_streak([]) == 0
    assert user_longest_streak([4, 12]) == 12


def test_milestones_are_the_spec_list_and_the_next_one_is_found() -> None:
    assert STREAK_MILESTONES == (7, 14, 21, 30, 50, 100, 200, 365, 500, 730, 1000)
    assert is_streak_milestone(21)
    assert not is_streak_milestone(22)
    assert next_streak_milestone(0) == 7
    assert next_streak_milestone(7) == 14
    assert next_streak_milestone(1000) is None
