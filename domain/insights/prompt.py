"""The words sent to the model for a goal's insights (docs/domain.md §3.14 "Generation").

The system text states the rules and shows the answer as a JSON example whose free text is "<...>"
placeholders (what the OpenAI stub, sandbox/openai, fills in); the enumerations and numbers in the
example are this goal's own rule values, so an answer that copies them is still right. The user text is
plain lines: the metrics, the weekday rates, skip reasons over 90 days, the previous
metrics and the last 30 answered rows.
"""

from __future__ import annotations

import json
from typing import Final

from domain.insights.output import MAX_INSIGHTS
from domain.insights.rules import RISKY_DAY_RATE, WEEKDAY_NAMES, AnsweredRow, GoalFacts, nudge_config
from domain.local_time import weekday_sun0

__all__ = ["MAX_TOKENS", "TEMPERATURE", "insights_system_prompt", "insights_user_prompt"]

TEMPERATURE: Final = 0.7
MAX_TOKENS: Final = 800
_TITLE_CHARS: Final = 100

_RULES: Final = f"""You are a data-driven habit analyst. Read one goal's check-in history and find real,
provable patterns, never generic advice.

Rules:
- Give 1 to {MAX_INSIGHTS} insights, each citing a number, a weekday or a skip reason from the data.
- type is one of pattern, encouragement, warning, tip; priority 1 is the most actionable.
- Never state the obvious (their completion count) or empty praise ("Keep it up!").
- nudge_config: risky_days are weekdays (0 = Sunday … 6 = Saturday) under {RISKY_DAY_RATE:g}% completion;
  risk_level is high under 50% completion over 30 days, medium from 50 to 75%, low above 75%;
  best_nudge_time is "HH:MM"; needs_extra_motivation is true for repeated skips or a declining trend.
- summary is one sentence describing the main pattern.
Answer with one JSON object exactly like this example, and nothing else:
"""


def insights_system_prompt(facts: GoalFacts) -> str:
    example = {
        "insights": [
            {"type": "pattern", "text": "<1-2 sentences citing a number from the data>", "priority": 1}
        ],
        "nudge_config": nudge_config(facts).as_json(),
        "summary": "<one sentence of at most 20 words on the main pattern>",
    }
    return _RULES + json.dumps(example, indent=2)


def insights_user_prompt(facts: GoalFacts) -> str:
    metrics = facts.metrics
    lines = [
        f"Goal: {facts.title[:_TITLE_CHARS]}",
        f"Schedule: {facts.frequency_type}, {facts.frequency_count} day(s) a week",
        "",
        "Metrics (completed out of answered check-ins):",
        f"- last 30 days: {metrics.completion_rate_30d:g}% "
        f"({metrics.completed_checkins_30d} of {metrics.total_checkins_30d})",
        f"- last 7 days: {metrics.completion_rate_7d:g}%",
        f"- current streak {metrics.current_streak}, longest streak {metrics.longest_streak}",
    ]
    if facts.weekday_rates:
        lines += ["", "Weekdays over 90 days:"]
        lines += [
            f"- {WEEKDAY_NAMES[day.day_index]}: {day.rate:g}% of {day.answered} answered"
            for day in facts.weekday_rates
        ]
    if facts.skip_reasons:
        lines += ["", "Skip reasons over 90 days:"]
        lines += [f"- {reason}: {count}" for reason, count in facts.skip_reasons.items()]
    previous = facts.previous_metrics
    if previous:
        lines += [
            "",
            "Previous analysis:",
            f"- last 30 days then: {previous.get('completion_rate_30d', 0)}%, "
            f"last 7 days then: {previous.get('completion_rate_7d', 0)}%, "
            f"streak then: {previous.get('current_streak', 0)}",
        ]
    if facts.recent:
        lines += ["", "Latest answered check-ins, newest first:"]
        lines += [_row_line(row) for row in facts.recent]
    return "\n".join(lines)


def _row_line(row: AnsweredRow) -> str:
    weekday = WEEKDAY_NAMES[weekday_sun0(row.check_in_date)]
    parts = [f"- {row.check_in_date.isoformat()} {weekday}: {row.status}"]
    if row.skip_reason:
        parts.append(f"reason {row.skip_reason}")
    if row.mood:
        parts.append(f"mood {row.mood}")
    if row.note:
        parts.append(f"note: {row.note}")
    return ", ".join(parts)
