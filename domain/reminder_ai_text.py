"""The AI text of a goal reminder (§3.12 "Reminder (ai_motivation)"): its prompt and its validation.

The prompt shows the answer as a JSON example with "<...>" placeholders (the shape every model prompt
here uses). A text is accepted only when it parses to a non-empty title and body, cut to the notice's
lengths, with at most two emoji; anything else means the template (the caller's fallback).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import time
from enum import StrEnum
from typing import Final

from domain.ai_text import count_emoji, parse_json_object
from domain.motivation_style import first_name, voice_of
from domain.notification_copy.content import clip
from domain.notification_copy.reminders import REMINDER_BODY_MAX, REMINDER_TITLE_MAX, ReminderText

__all__ = [
    "MAX_EMOJI",
    "REMINDER_MAX_TOKENS",
    "REMINDER_TEMPERATURE",
    "VARIETY_HINTS",
    "ReminderPromptInputs",
    "TimeOfDay",
    "parse_reminder_text",
    "progress_line",
    "reminder_prompt",
    "time_of_day",
]

REMINDER_TEMPERATURE: Final = 0.95
REMINDER_MAX_TOKENS: Final = 150
MAX_EMOJI: Final = 2

_AFTERNOON_FROM: Final = time(12, 0)
_EVENING_FROM: Final = time(17, 0)


class TimeOfDay(StrEnum):
    MORNING = "morning"
    AFTERNOON = "afternoon"
    EVENING = "evening"


def time_of_day(local_time: time) -> TimeOfDay:
    """Morning before 12:00, afternoon before 17:00, else evening (the reminder's local fire time)."""
    if local_time < _AFTERNOON_FROM:
        return TimeOfDay.MORNING
    if local_time < _EVENING_FROM:
        return TimeOfDay.AFTERNOON
    return TimeOfDay.EVENING


# One is drawn per call, so the same reminder reads differently from day to day (§3.12).
VARIETY_HINTS: Final = (
    "the thrill of progress",
    "consistency, one day after another",
    "what they will achieve",
    "a personal, urgent angle",
    "the long-term vision",
    "how good they will feel afterwards",
    "momentum: keep it rolling",
    "how far they have come",
)


@dataclass(frozen=True, slots=True)
class ReminderPromptInputs:
    """What §3.12 gives the model about one reminder."""

    goal_title: str
    why_statement: str | None
    user_name: str | None
    motivation_style: str | None
    current_streak: int
    # Completed check-ins on the 7 local days before the reminder's date.
    completions_last_7_days: int
    total_completions: int
    # Days since the goal was created, counting its first day as 1.
    day_number: int
    local_fire_time: time


def progress_line(inputs: ReminderPromptInputs) -> str:
    """A streak → the streak and the 7-day ratio; none → the day number and the ratio; never a
    completion ("no data") → just getting started."""
    ratio = f"{inputs.completions_last_7_days}/7 days done in the last week"
    if inputs.current_streak > 0:
        return f"{inputs.current_streak}-day streak, {ratio}"
    if inputs.total_completions > 0:
        return f"day {max(inputs.day_number, 1)} of this goal, {ratio}"
    return "just getting started"


def reminder_prompt(inputs: ReminderPromptInputs, hint: str) -> tuple[str, str]:
    """(system, user) messages for one reminder, stressing `hint` (one of VARIETY_HINTS)."""
    moment = time_of_day(inputs.local_fire_time)
    system = (
        "You write one push notification for FitNudge, a habit app, reminding the user of their goal. "
        f"Voice: {voice_of(inputs.motivation_style)}. "
        f"It is {moment.value} for them: fit the tone to the {moment.value}. "
        "Vary the sentence structure; no clichés (no 'rise and shine', no bare 'you've got this'). "
        "Weave their why in only now and then, never forced. "
        f"The title is 4-6 words and contains the goal name; the body is 15-20 words and uses their "
        f"name; at most {MAX_EMOJI} emoji in all. Answer with this JSON object only: "
        '{"title": "<4-6 words containing the goal name>", "body": "<15-20 words using the name>"}'
    )
    why = (inputs.why_statement or "").strip() or "not given"
    user = (
        f"Name: {first_name(inputs.user_name)}\n"
        f"Goal: {inputs.goal_title.strip()}\n"
        f"Why it matters to them: {why}\n"
        f"Progress: {progress_line(inputs)}\n"
        f"Stress this time: {hint}"
    )
    return system, user


def parse_reminder_text(raw: str) -> ReminderText | None:
    """The model's answer as a reminder text, cut to the notice's lengths; None when it is unusable
    (no JSON object, a missing or empty field, more than two emoji)."""
    answer = parse_json_object(raw)
    if answer is None:
        return None
    title, body = answer.get("title"), answer.get("body")
    if not isinstance(title, str) or not isinstance(body, str):
        return None
    text = ReminderText(clip(title, REMINDER_TITLE_MAX), clip(body, REMINDER_BODY_MAX))
    if not text.title or not text.body or count_emoji(text.title + text.body) > MAX_EMOJI:
        return None
    return text
