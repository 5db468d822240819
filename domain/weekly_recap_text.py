"""The weekly recap's five texts (§3.12): the model's prompt, the check of its answer, and the template
filled from the stats when there is no usable answer.

The prompt shows the answer as a JSON example with "<...>" placeholders (docs: AI_CONTRACT), lists
the week's numbers as plain lines (no braces: the example must be the only JSON in the messages),
and asks for the user's voice (§3.12 "Voices"). An answer counts only when all five fields are
non-empty strings within their length caps, each with at most 2 emoji; otherwise the template is used.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Final

from domain.ai_text import count_emoji, parse_json_object
from domain.motivation_style import MotivationStyle, first_name, motivation_style_of, voice_of
from domain.weekly_recaps import GoalStatusBand, RecapNumbers

__all__ = [
    "MAX_EMOJI_PER_FIELD",
    "RECAP_MAX_TOKENS",
    "RECAP_TEMPERATURE",
    "TEXT_LIMITS",
    "RecapText",
    "parse_recap_text",
    "recap_prompt",
    "template_recap_text",
]

RECAP_TEMPERATURE: Final = 0.8
RECAP_MAX_TOKENS: Final = 300
MAX_EMOJI_PER_FIELD: Final = 2
# Characters per field: about twice what the prompt asks for, so only a runaway answer is refused.
TEXT_LIMITS: Final = {
    "summary": 600,
    "win": 300,
    "insight": 300,
    "focus_next_week": 300,
    "motivational_close": 250,
}


@dataclass(frozen=True, slots=True)
class RecapText:
    summary: str
    win: str
    insight: str
    focus_next_week: str
    motivational_close: str


_ANSWER_EXAMPLE: Final = (
    '{"summary": "<40-60 words: how the week went overall, using the numbers and the name>", '
    '"win": "<15-25 words naming the best result of the week>", '
    '"insight": "<15-25 words on a pattern: a strong or weak day, the trend, or the change>", '
    '"focus_next_week": "<15-25 words: one concrete thing to do next week>", '
    '"motivational_close": "<8-15 words closing in the coach voice>"}'
)


def recap_prompt(numbers: RecapNumbers, name: str, style: str | None) -> tuple[str, str]:
    """(system, user) messages asking for the five texts as one JSON object."""
    voice = voice_of(style)
    system = (
        "You write the weekly recap of a habit and fitness accountability app. "
        f"Write as {voice}. Use only the numbers given; never invent results. "
        "Be specific and personal, vary your sentence structure, avoid cliches such as "
        "'rise and shine' or a bare 'you've got this', and use at most 2 emoji per field. "
        "Answer with one JSON object and nothing else."
    )
    user = "\n".join(
        [
            f"Name: {first_name(name)}",
            f"Week: {numbers.week_start.isoformat()} to {numbers.week_end.isoformat()}",
            *_fact_lines(numbers),
            "",
            "Answer in exactly this JSON shape:",
            _ANSWER_EXAMPLE,
        ]
    )
    return system, user


def _fact_lines(numbers: RecapNumbers) -> list[str]:
    stats = numbers.stats
    lines = [
        f"Completed {stats['completed_check_ins']} of {stats['scheduled_check_ins']} scheduled check-ins "
        f"({stats['completion_rate']}%), on {stats['days_with_checkins']} different days; "
        f"{stats['rest_day_count']} rest days",
        f"Previous week: {stats['previous_week_checkins']} completed "
        f"(change {stats['week_over_week_change']:+d})",
        f"Current best streak: {stats['current_streak']} days; longest ever: {stats['longest_streak']} days",
        f"Goals on track: {numbers.goals_hit} of {numbers.goals_total}",
    ]
    lines += [
        f"- Goal '{goal['title']}': {goal['completed']} of {goal['total']} ({goal['completion_rate']}%), "
        f"{goal['status'].replace('_', ' ')}, streak {goal['current_streak']}"
        for goal in numbers.goal_breakdown
    ]
    if stats["strongest_day"]:
        lines.append(f"Strongest day: {stats['strongest_day']}")
    if stats["weakest_day"]:
        lines.append(f"Weakest day: {stats['weakest_day']}")
    moods = stats["mood_distribution"]
    if any(moods.values()):
        lines.append("Moods: " + ", ".join(f"{mood} {count}" for mood, count in moods.items()))
    rates = ", ".join(f"{week['completion_rate']}%" for week in numbers.completion_rate_trend)
    lines.append(f"Completion rate over the last 4 weeks, oldest first: {rates}")
    if numbers.achievements_unlocked:
        badges = ", ".join(badge["badge_name"] for badge in numbers.achievements_unlocked)
        lines.append(f"Badges unlocked this week: {badges}")
    if numbers.partner_context:
        partners = ", ".join(
            f"{partner['partner_name']} ({partner['partner_streak']}-day streak)"
            for partner in numbers.partner_context
        )
        lines.append(f"Accountability partners: {partners}")
    return lines


def parse_recap_text(answer: str | None) -> RecapText | None:
    """The five texts of a model answer, or None when any is missing, empty, too long or too emoji-laden."""
    found = parse_json_object(answer) if answer else None
    if found is None:
        return None
    texts: dict[str, str] = {}
    for field, limit in TEXT_LIMITS.items():
        text = _valid_text(found.get(field), limit)
        if text is None:
            return None
        texts[field] = text
    return RecapText(**texts)


def _valid_text(value: Any, limit: int) -> str | None:
    if not isinstance(value, str):
        return None
    text = value.strip()
    if not text or len(text) > limit or count_emoji(text) > MAX_EMOJI_PER_FIELD:
        return None
    return text


_CLOSES: Final = {
    MotivationStyle.SUPPORTIVE: "Every check-in counts, {name}. Let's make next week yours too.",
    MotivationStyle.TOUGH_LOVE: "No excuses next week, {name}. You know what it takes; go do it.",
    MotivationStyle.CALM: "Breathe, {name}. One day at a time is enough; next week is a fresh start.",
}


def template_recap_text(numbers: RecapNumbers, name: str, style: str | None) -> RecapText:
    """The §3.12 fallback: the five texts filled from the stats, in the user's voice for the close."""
    stats = numbers.stats
    who = first_name(name)
    summary = (
        f"{who}, you completed {stats['completed_check_ins']} of {stats['scheduled_check_ins']} scheduled "
        f"check-ins this week ({_percent(stats['completion_rate'])}) and kept {numbers.goals_hit} of "
        f"{numbers.goals_total} goals on track."
    )
    return RecapText(
        summary=summary,
        win=_win(numbers),
        insight=_insight(stats),
        focus_next_week=_focus(numbers),
        motivational_close=_CLOSES[motivation_style_of(style)].format(name=who),
    )


def _percent(rate: float) -> str:
    return f"{rate:g}%"


def _win(numbers: RecapNumbers) -> str:
    best = numbers.goal_breakdown[0] if numbers.goal_breakdown else None
    if numbers.achievements_unlocked:
        return f"You unlocked the {numbers.achievements_unlocked[0]['badge_name']} badge this week."
    if best is not None and best["completed"] > 0:
        return (
            f"Your best goal was {best['title']}: {best['completed']} of {best['total']} "
            f"({_percent(best['completion_rate'])})."
        )
    if numbers.stats["current_streak"] > 0:
        return f"Your streak is still alive at {numbers.stats['current_streak']} days."
    return "You kept your goals in view this week, and that is where every comeback starts."


def _insight(stats: dict[str, Any]) -> str:
    change = stats["week_over_week_change"]
    if change > 0:
        trend = f"That is {change} more completed check-ins than the week before."
    elif change < 0:
        trend = f"That is {-change} fewer completed check-ins than the week before."
    else:
        trend = "That matches the week before."
    if stats["strongest_day"]:
        return f"{stats['strongest_day']} was your strongest day. {trend}"
    return trend


def _focus(numbers: RecapNumbers) -> str:
    lagging = [goal for goal in numbers.goal_breakdown if goal["status"] == GoalStatusBand.NEEDS_ATTENTION]
    if lagging:
        goal = lagging[-1]
        return (
            f"Give {goal['title']} extra attention next week: "
            f"aim to complete it more than {goal['completed']} times."
        )
    weakest = numbers.stats["weakest_day"]
    if weakest:
        return f"Plan ahead for {weakest}, your quietest day, and keep the rest of your rhythm."
    return "Keep the same rhythm next week and protect your streak."
