"""The reminder's AI text: its prompt inputs, and what of a model's answer is accepted (§3.12)."""

from __future__ import annotations

import json
from dataclasses import replace
from datetime import time

import pytest

from domain.ai_text import parse_json_object
from domain.notification_copy.reminders import REMINDER_BODY_MAX, REMINDER_TITLE_MAX, ReminderText
from domain.reminder_ai_text import (
    VARIETY_HINTS,
    ReminderPromptInputs,
    TimeOfDay,
    parse_reminder_text,
    progress_line,
    reminder_prompt,
    time_of_day,
)

INPUTS = ReminderPromptInputs(
    goal_title="Morning run",
    why_statement="to keep up with my kids",
    user_name="Ada Lovelace",
    motivation_style="tough_love",
    current_streak=4,
    completions_last_7_days=5,
    total_completions=12,
    day_number=20,
    local_fire_time=time(18, 0),
)


@pytest.mark.parametrize(
    ("local_time", "expected"),
    [
        (time(0, 0), TimeOfDay.MORNING),
        (time(11, 59), TimeOfDay.MORNING),
        (time(12, 0), TimeOfDay.AFTERNOON),
        (time(16, 59), TimeOfDay.AFTERNOON),
        (time(17, 0), TimeOfDay.EVENING),
        (time(23, 59), TimeOfDay.EVENING),
    ],
)
def test_time_of_day_of_the_local_fire_time(local_time: time, expected: TimeOfDay) -> None:
    assert time_of_day(local_time) is expected


def test_progress_line_shows_the_streak_then_the_day_number_then_a_beginning() -> None:
    assert progress_line(INPUTS) == "4-day streak, 5/7 days done in the last week"
    no_streak = replace(INPUTS, current_streak=0, completions_last_7_days=2)
    assert progress_line(no_streak) == "day 20 of this goal, 2/7 days done in the last week"
    assert progress_line(replace(no_streak, total_completions=0)) == "just getting started"


def test_prompt_carries_every_input_and_shows_the_answer_as_a_placeholder_json_example() -> None:
    system, user = reminder_prompt(INPUTS, VARIETY_HINTS[3])

    example = parse_json_object(system)
    assert example is not None
    assert set(example) == {"title", "body"}
    assert all(value.startswith("<") and value.endswith(">") for value in example.values())
    for expected in ("direct coach", "evening", "rise and shine"):
        assert expected in system
    for expected in (
        "Name: Ada",
        "Goal: Morning run",
        "to keep up with my kids",
        "4-day streak",
        VARIETY_HINTS[3],
    ):
        assert expected in user


def test_prompt_defaults_the_name_and_the_style_and_says_when_there_is_no_why() -> None:
    system, user = reminder_prompt(
        replace(INPUTS, user_name="  ", motivation_style="unknown", why_statement=None), VARIETY_HINTS[0]
    )
    assert "Name: Champion" in user
    assert "warm friend" in system
    assert "Why it matters to them: not given" in user


def test_eight_variety_hints() -> None:
    assert len(set(VARIETY_HINTS)) == 8


def test_parse_takes_the_outermost_object_inside_code_fences_and_prose() -> None:
    raw = 'Sure!\n```json\n{"title": "Run time, Ada", "body": "Ada, {braces} stay in the text 🏃"}\n```'
    assert parse_reminder_text(raw) == ReminderText("Run time, Ada", "Ada, {braces} stay in the text 🏃")


def test_parse_cuts_title_and_body_to_the_notice_lengths() -> None:
    text = parse_reminder_text(json.dumps({"title": "T" * 80, "body": "B" * 400}))
    assert text is not None
    assert (len(text.title), len(text.body)) == (REMINDER_TITLE_MAX, REMINDER_BODY_MAX)


@pytest.mark.parametrize(
    "raw",
    [
        "",
        "not json at all",
        '{"title": "Only a title"}',
        '{"title": "  ", "body": "Blank title"}',
        '{"title": 3, "body": "Not a string"}',
        '["title", "body"]',
        '{"title": "Too many 🎉", "body": "Emoji 🔥🔥 everywhere"}',
        '{"title": "Broken", "body": "unterminated',
    ],
)
def test_parse_refuses_what_is_not_a_usable_text(raw: str) -> None:
    assert parse_reminder_text(raw) is None
