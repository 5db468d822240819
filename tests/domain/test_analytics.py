from dataclasses import fields
from datetime import date, timedelta

import pytest

from domain.analytics import (
    AnalyticsDashboard,
    HeatmapDay,
    MonthlyTrendItem,
    StreakWeek,
    Tally,
    awaits_day_jobs,
    completion_rate,
    heatmap,
    monthly_trend,
    mood_trend,
    percentage,
    skip_reasons,
    streak_history,
    streak_since,
    this_week_summary,
    weekly_consistency,
)

WED = date(2024, 6, 12)  # a Wednesday


@pytest.mark.parametrize(
    ("part", "whole", "expected"),
    [(0, 0, 0), (1, 3, 33), (2, 3, 67), (1, 8, 13), (5, 8, 63), (3, 3, 100)],
)
def test_percentages_round_halves_up(part: int, whole: int, expected: int) -> None:
    assert percentage(part, whole) == expected


def test_completion_rate_has_one_decimal_and_is_zero_without_rows() -> None:
    assert completion_rate(Tally(total=13, completed=7)) == 53.8
    assert completion_rate(Tally(total=16, completed=1)) == 6.3  # 6.25: a half, rounded up
    assert completion_rate(Tally(total=0, completed=0)) == 0.0


def test_heatmap_covers_every_date_with_its_intensity() -> None:
    statuses = {WED - timedelta(days=3): "completed", WED - timedelta(days=2): "missed", WED: "pending"}
    statuses |= {WED - timedelta(days=1): "rest_day", WED - timedelta(days=4): "skipped"}

    shaped = heatmap(WED - timedelta(days=5), WED, statuses)

    assert [(item.status, item.intensity) for item in shaped] == [
        ("not_scheduled", 1),
        ("skipped", 0),
        ("completed", 4),
        ("missed", 0),
        ("rest_day", 3),
        ("pending", 2),
    ]
    assert shaped[0] == HeatmapDay(date=date(2024, 6, 7), status="not_scheduled", intensity=1)


def test_heatmap_of_a_goal_created_after_today_is_empty() -> None:
    assert heatmap(WED + timedelta(days=1), WED, {}) == []


def test_this_week_names_days_from_sunday_zero_and_marks_days_before_the_goal() -> None:
    shaped = this_week_summary(date(2024, 6, 9), WED, {WED: "completed"})

    assert [(item.day_name, item.day_of_week, item.status) for item in shaped] == [
        ("Thu", 4, "no_data"),
        ("Fri", 5, "no_data"),
        ("Sat", 6, "no_data"),
        ("Sun", 0, "not_scheduled"),
        ("Mon", 1, "not_scheduled"),
        ("Tue", 2, "not_scheduled"),
        ("Wed", 3, "completed"),
    ]


def test_weekly_consistency_runs_monday_to_sunday_over_present_weekdays() -> None:
    shaped = weekly_consistency({0: Tally(2, 1), 6: Tally(3, 3), 1: Tally(3, 2)})

    assert [(item.day, item.day_index, item.percentage) for item in shaped] == [
        ("Mon", 1, 67),
        ("Sat", 6, 100),
        ("Sun", 0, 50),
    ]


def test_streak_history_numbers_weeks_from_creation_and_keeps_the_last_twelve() -> None:
    created = date(2024, 1, 3)  # the Wednesday of the week of Monday 1 January
    weeks = streak_history(created, WED, {date(2024, 6, 10): 2, date(2024, 3, 25): 5})

    assert len(weeks) == 12
    assert weeks[0] == StreakWeek(week="W13", week_start=date(2024, 3, 25), max_streak=5)
    assert weeks[-1] == StreakWeek(week="W24", week_start=date(2024, 6, 10), max_streak=2)
    assert [week.max_streak for week in weeks[1:-1]] == [0] * 10
    assert streak_since(WED) == date(2024, 3, 25)


def test_streak_history_of_a_goal_created_this_week_is_one_week() -> None:
    assert streak_history(WED, WED, {}) == [StreakWeek(week="W1", week_start=date(2024, 6, 10), max_streak=0)]


def test_monthly_trend_fills_months_and_stops_at_six() -> None:
    shaped = monthly_trend(WED - timedelta(days=180), WED, {date(2024, 6, 1): Tally(4, 1)})

    assert [(item.month, item.month_index, item.year) for item in shaped] == [
        ("Jan", 0, 2024),
        ("Feb", 1, 2024),
        ("Mar", 2, 2024),
        ("Apr", 3, 2024),
        ("May", 4, 2024),
        ("Jun", 5, 2024),
    ]
    assert shaped[-1] == MonthlyTrendItem(
        month="Jun", month_index=5, year=2024, total=4, completed=1, percentage=25
    )
    assert shaped[0].total == shaped[0].percentage == 0


def test_monthly_trend_crosses_the_year() -> None:
    shaped = monthly_trend(date(2023, 12, 20), date(2024, 1, 5), {})

    assert [(item.month, item.year) for item in shaped] == [("Dec", 2023), ("Jan", 2024)]


def test_skip_reasons_rank_by_count_and_leave_out_reasons_without_skips() -> None:
    shaped = skip_reasons({"other": 2, "sick": 2, "work": 0, "tired": 3})

    assert [(item.reason, item.label, item.count, item.percentage, item.color) for item in shaped] == [
        ("tired", "Tired", 3, 43, "#4ECDC4"),
        ("sick", "Sick", 2, 29, "#9B59B6"),
        ("other", "Other", 2, 29, "#95A5A6"),
    ]
    assert skip_reasons({}) == []


def test_mood_trend_scores_and_labels_each_mood() -> None:
    shaped = mood_trend([(date(2024, 1, 5), "tough"), (date(2024, 12, 25), "amazing"), (WED, "good")])

    assert [(item.mood_score, item.label) for item in shaped] == [(1, "Jan 05"), (3, "Dec 25"), (2, "Jun 12")]


def test_the_dashboard_has_the_client_fields_in_order() -> None:
    # The client's AnalyticsDashboard (apps/mobile/src/services/api/analytics.ts), field for field.
    assert [field.name for field in fields(AnalyticsDashboard)] == [
        "goal_id",
        "goal_title",
        "goal_created_at",
        "target_days",
        "total_check_ins",
        "completed_check_ins",
        "completion_rate",
        "current_streak",
        "longest_streak",
        "heatmap_data",
        "this_week_summary",
        "weekly_consistency",
        "streak_history",
        "monthly_trend",
        "skip_reasons",
        "mood_trend",
        "data_range_days",
        "generated_at",
        "cache_hit",
    ]


def test_an_answer_awaits_the_day_jobs_while_they_owe_the_window_a_row() -> None:
    yesterday = WED - timedelta(days=1)
    assert awaits_day_jobs({}, WED, scheduled_today=True)  # today's pending row not created yet
    assert not awaits_day_jobs({}, WED, scheduled_today=False)
    assert awaits_day_jobs(
        {yesterday: "pending", WED: "pending"}, WED, scheduled_today=True
    )  # not missed yet
    assert not awaits_day_jobs({yesterday: "missed", WED: "pending"}, WED, scheduled_today=True)
