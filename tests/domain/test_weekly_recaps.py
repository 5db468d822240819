"""The recap's numbers and texts from the counts (domain/weekly_recaps.py, domain/weekly_recap_text.py)."""

from __future__ import annotations

import json
from datetime import UTC, date, datetime
from decimal import Decimal
from uuid import UUID

import pytest

from domain.ai_text import parse_json_object
from domain.weekly_recap_text import parse_recap_text, recap_prompt, template_recap_text
from domain.weekly_recaps import (
    BadgeUnlocked,
    GoalWeek,
    PartnerStreak,
    RecapFacts,
    RecapSubject,
    WeekCounts,
    WeekdayCounts,
    completion_rate,
    recap_numbers,
    recap_week_start,
    status_band,
)

MONDAY = date(2025, 6, 9)
USER = UUID(int=1)
RUN = UUID(int=11)
READ = UUID(int=12)


def subject(**fields: object) -> RecapSubject:
    values: dict[str, object] = {
        "user_id": USER,
        "week_start": MONDAY,
        "name": "Lea Braun",
        "motivation_style": "supportive",
        "plan": "premium",
        "active_goals": 2,
        "current_streak": 4,
        "longest_streak": 9,
        "has_recap": False,
    }
    values.update(fields)
    return RecapSubject(**values)  # type: ignore[arg-type]


def week(weeks_ago: int, scheduled: int, completed: int, **fields: int) -> WeekCounts:
    values = {"answered": completed, "rest_days": 0, "tough": 0, "good": 0}
    values |= {"amazing": 0, **fields}
    return WeekCounts(weeks_ago, scheduled, completed, **values)


def facts(**fields: object) -> RecapFacts:
    values: dict[str, object] = {
        "subject": subject(),
        "goals": [
            GoalWeek(RUN, "Run", "active", 4, 9, scheduled=7, completed=6),
            GoalWeek(READ, "Read", "archived", 0, 3, scheduled=3, completed=1),
        ],
        "weeks": [
            week(0, 10, 7, answered=8, rest_days=1, tough=1, good=4, amazing=2),
            week(1, 10, 4),
            week(3, 7, 7),
        ],
        "weekdays": [
            WeekdayCounts(1, 2, 2),
            WeekdayCounts(3, 2, 0),
            WeekdayCounts(5, 2, 2),
            WeekdayCounts(7, 1, 1),
        ],
        "badges": [
            BadgeUnlocked(
                "streak_3",
                "Three Day Streak",
                "3 days",
                "streak",
                "common",
                datetime(2025, 6, 11, tzinfo=UTC),
            )
        ],
        "partners": [PartnerStreak(UUID(int=5), "Max", 12, UUID(int=6))],
    }
    values.update(fields)
    return RecapFacts(**values)  # type: ignore[arg-type]


def test_the_recap_week_is_the_monday_to_sunday_before_the_local_week_of_today() -> None:
    assert recap_week_start(date(2025, 6, 16)) == date(2025, 6, 9)  # a Monday looks back a full week
    assert recap_week_start(date(2025, 6, 22)) == date(2025, 6, 9)  # so does the Sunday after it


def test_rates_divide_by_scheduled_occurrences_and_band_at_80_and_50() -> None:
    assert completion_rate(7, 10) == 70.0
    assert completion_rate(2, 3) == 66.7
    assert completion_rate(0, 0) == 0.0
    assert [status_band(rate).value for rate in (80.0, 79.9, 50.0, 49.9)] == [
        "excellent",
        "good",
        "good",
        "needs_attention",
    ]


def test_numbers_of_a_week() -> None:
    numbers = recap_numbers(facts())

    assert (numbers.week_start, numbers.week_end) == (MONDAY, date(2025, 6, 15))
    assert (numbers.goals_hit, numbers.goals_total, numbers.consistency_percent) == (1, 2, Decimal("70.0"))
    assert numbers.stats == {
        "completed_check_ins": 7,
        "scheduled_check_ins": 10,
        "days_with_checkins": 3,
        "current_streak": 4,
        "longest_streak": 9,
        "completion_rate": 70.0,
        "total_check_ins": 8,
        "rest_day_count": 1,
        "previous_week_checkins": 4,
        "week_over_week_change": 3,
        "strongest_day": "Monday",
        "weakest_day": "Wednesday",
        "mood_distribution": {"tough": 1, "good": 4, "amazing": 2},
    }
    assert [
        (goal["title"], goal["total"], goal["completion_rate"], goal["status"])
        for goal in numbers.goal_breakdown
    ] == [
        ("Run", 7, 85.7, "excellent"),
        ("Read", 3, 33.3, "needs_attention"),
    ]
    assert numbers.goal_breakdown[1]["is_archived"] is True
    assert numbers.completion_rate_trend == [
        {
            "week_start": "2025-05-19",
            "week_label": "Week 1",
            "completed": 7,
            "scheduled": 7,
            "total": 7,
            "completion_rate": 100.0,
            "is_current": False,
        },
        {
            "week_start": "2025-05-26",
            "week_label": "Week 2",
            "completed": 0,
            "scheduled": 0,
            "total": 0,
            "completion_rate": 0.0,
            "is_current": False,
        },
        {
            "week_start": "2025-06-02",
            "week_label": "Week 3",
            "completed": 4,
            "scheduled": 10,
            "total": 10,
            "completion_rate": 40.0,
            "is_current": False,
        },
        {
            "week_start": "2025-06-09",
            "week_label": "Week 4",
            "completed": 7,
            "scheduled": 10,
            "total": 10,
            "completion_rate": 70.0,
            "is_current": True,
        },
    ]
    assert numbers.achievements_unlocked[0]["badge_key"] == "streak_3"
    assert numbers.partner_context == [
        {
            "partner_id": str(UUID(int=5)),
            "partner_name": "Max",
            "partner_streak": 12,
            "partnership_id": str(UUID(int=6)),
        }
    ]
    json.dumps(
        [numbers.stats, numbers.goal_breakdown, numbers.completion_rate_trend, numbers.achievements_unlocked]
    )


@pytest.mark.parametrize(
    ("weekdays", "expected"),
    [
        ([], (None, None)),
        ([WeekdayCounts(2, 1, 1)], ("Tuesday", None)),
        ([WeekdayCounts(2, 1, 0), WeekdayCounts(4, 1, 0)], (None, None)),
        ([WeekdayCounts(2, 1, 1), WeekdayCounts(4, 1, 1)], ("Tuesday", None)),
        ([WeekdayCounts(6, 2, 1), WeekdayCounts(2, 2, 2), WeekdayCounts(4, 1, 0)], ("Tuesday", "Thursday")),
        ([WeekdayCounts(2, 0, 0), WeekdayCounts(4, 1, 1)], ("Thursday", None)),
    ],
)
def test_strongest_and_weakest_day_among_scheduled_weekdays(
    weekdays: list[WeekdayCounts], expected: tuple[str | None, str | None]
) -> None:
    stats = recap_numbers(facts(weekdays=weekdays)).stats
    assert (stats["strongest_day"], stats["weakest_day"]) == expected


def test_no_partners_is_null_and_a_recap_needs_an_active_goal_and_an_occurrence() -> None:
    assert recap_numbers(facts(partners=[])).partner_context is None
    assert facts().has_data
    assert not facts(subject=subject(active_goals=0)).has_data
    assert not facts(weeks=[week(1, 5, 5)]).has_data


def test_the_template_fills_every_field_from_the_stats_in_the_users_voice() -> None:
    numbers = recap_numbers(facts())
    text = template_recap_text(numbers, "Lea Braun", "tough_love")
    assert text.summary == (
        "Lea, you completed 7 of 10 scheduled check-ins this week (70%) and kept 1 of 2 goals on track."
    )
    assert "Three Day Streak" in text.win
    assert text.insight.startswith("Monday was your strongest day. That is 3 more")
    assert "Read" in text.focus_next_week
    assert text.motivational_close.startswith("No excuses")
    assert all(getattr(text, field) for field in text.__slots__)


def test_the_prompt_shows_the_answer_as_the_only_json_object_with_placeholders() -> None:
    system, user = recap_prompt(recap_numbers(facts()), "Lea Braun", "calm")
    assert "{" not in system
    example = parse_json_object(user)
    assert example is not None
    assert set(example) == {"summary", "win", "insight", "focus_next_week", "motivational_close"}
    assert all(value.startswith("<") and value.endswith(">") for value in example.values())
    for fact in ("7 of 10", "Max (12-day streak)", "Three Day Streak"):
        assert fact in user


ANSWER = {
    "summary": "A solid week, Lea.",
    "win": "Run at 86%.",
    "insight": "Mondays carry you.",
    "focus_next_week": "Read twice.",
    "motivational_close": "Onward 💪",
}


def test_a_valid_answer_is_taken_even_inside_a_code_fence() -> None:
    text = parse_recap_text("```json\n" + json.dumps(ANSWER) + "\n```")
    assert text is not None
    assert (text.summary, text.motivational_close) == ("A solid week, Lea.", "Onward 💪")


@pytest.mark.parametrize(
    "answer",
    [
        None,
        "",
        "not json",
        "[1, 2]",
        json.dumps({**ANSWER, "win": ""}),
        json.dumps({**ANSWER, "insight": "   "}),
        json.dumps({**ANSWER, "focus_next_week": 3}),
        json.dumps({key: value for key, value in ANSWER.items() if key != "summary"}),
        json.dumps({**ANSWER, "summary": "x" * 601}),
        json.dumps({**ANSWER, "win": "Great 🎉🔥💪"}),
    ],
)
def test_anything_else_is_no_answer(answer: str | None) -> None:
    assert parse_recap_text(answer) is None
