"""Goal insights' pure rules: the data threshold, the nudge rules, the model-output check, templates."""

from __future__ import annotations

import json
from datetime import UTC, date, datetime
from typing import Any

import pytest

from domain.insights.output import (
    MAX_INSIGHT_CHARS,
    Insight,
    InsightType,
    parse_insights_output,
)
from domain.insights.prompt import insights_system_prompt, insights_user_prompt
from domain.insights.rules import (
    AnsweredRow,
    GoalFacts,
    InsightMetrics,
    NudgeConfig,
    RiskLevel,
    WeekdayRate,
    min_required,
    nudge_config,
    risk_level,
)
from domain.insights.templates import template_insights

NOW = datetime(2026, 3, 9, 12, tzinfo=UTC)


def metrics(**fields: Any) -> InsightMetrics:
    values: dict[str, Any] = {
        "completion_rate_30d": 60.0,
        "completion_rate_7d": 60.0,
        "current_streak": 2,
        "longest_streak": 5,
        "total_checkins_30d": 10,
        "completed_checkins_30d": 6,
        "best_day_index": None,
        "best_day_rate": None,
        "worst_day_index": None,
        "worst_day_rate": None,
        "calculated_at": NOW,
    }
    values.update(fields)
    return InsightMetrics(**values)


def facts(**fields: Any) -> GoalFacts:
    values: dict[str, Any] = {
        "title": "Run",
        "frequency_type": "daily",
        "frequency_count": 1,
        "reminder_times": ["19:30", "07:15"],
        "metrics": metrics(),
        "weekday_rates": [],
        "skip_reasons": {},
        "recent": [],
        "previous_metrics": None,
    }
    values.update(fields)
    return GoalFacts(**values)


RULES_NUDGE = NudgeConfig((), RiskLevel.MEDIUM, "07:15", False)


def parse(document: object) -> Any:
    text = document if isinstance(document, str) else json.dumps(document)
    return parse_insights_output(text, rules_nudge=RULES_NUDGE, rules_summary="rules summary")


@pytest.mark.parametrize(("count", "needed"), [(1, 3), (2, 4), (3, 6), (4, 7), (7, 7)])
def test_min_required_is_twice_the_weekly_count_between_3_and_7(count: int, needed: int) -> None:
    assert min_required(count) == needed


@pytest.mark.parametrize(
    ("rate", "level"),
    [
        (0, RiskLevel.HIGH),
        (49.9, RiskLevel.HIGH),
        (50, RiskLevel.MEDIUM),
        (75, RiskLevel.MEDIUM),
        (75.1, RiskLevel.LOW),
    ],
)
def test_risk_level_bands(rate: float, level: RiskLevel) -> None:
    assert risk_level(rate) is level


def test_nudge_config_from_the_rules() -> None:
    rates = [
        WeekdayRate(1, 4, 100.0),
        WeekdayRate(5, 3, 33.3),
        WeekdayRate(0, 2, 50.0),
        WeekdayRate(3, 2, 60.0),
    ]
    config = nudge_config(
        facts(weekday_rates=rates, metrics=metrics(completion_rate_30d=80, completion_rate_7d=90))
    )
    assert config == NudgeConfig((0, 5), RiskLevel.LOW, "07:15", False)
    assert config.as_json() == {
        "risky_days": [0, 5],
        "risk_level": "low",
        "best_nudge_time": "07:15",
        "needs_extra_motivation": False,
    }


@pytest.mark.parametrize(
    ("rate_30d", "rate_7d", "latest", "extra"),
    [
        (80, 90, ["completed", "skipped"], False),
        (80, 70, ["completed"], True),  # a declining week
        (40, 90, [], True),  # high risk
        (80, 90, ["skipped", "skipped"], True),  # two skips in a row
    ],
)
def test_needs_extra_motivation(rate_30d: float, rate_7d: float, latest: list[str], extra: bool) -> None:
    recent = [AnsweredRow(date(2026, 3, 9), status, None, None, None) for status in latest]
    result = nudge_config(
        facts(recent=recent, metrics=metrics(completion_rate_30d=rate_30d, completion_rate_7d=rate_7d))
    )
    assert result.needs_extra_motivation is extra


def test_valid_output_is_read_with_code_fences_and_sorted_by_priority() -> None:
    document = {
        "insights": [
            {"type": "tip", "text": "Plan Fridays early.", "priority": 2},
            {"type": "warning", "text": "  Fridays   are weak. ", "priority": 1},
        ],
        "nudge_config": {
            "risky_days": [5, 4, 5],
            "risk_level": "high",
            "best_nudge_time": "08:30:59",
            "needs_extra_motivation": True,
        },
        "summary": "Fridays slip.",
    }
    result = parse(f"```json\n{json.dumps(document)}\n```")
    assert result.insights == (
        Insight(InsightType.WARNING, "Fridays are weak.", 1),
        Insight(InsightType.TIP, "Plan Fridays early.", 2),
    )
    assert result.nudge_config == NudgeConfig((4, 5), RiskLevel.HIGH, "08:30", True)
    assert result.summary == "Fridays slip."


def test_invalid_insights_are_dropped_and_at_most_three_kept() -> None:
    good = [{"type": "pattern", "text": f"Insight {n}", "priority": n} for n in (4, 1, 3, 2)]
    bad: list[object] = [
        {"type": "joke", "text": "x", "priority": 1},
        {"type": "tip", "text": "   ", "priority": 1},
        {"type": "tip", "text": "<1-2 sentences>", "priority": 1},
        {"type": "tip", "text": "fine", "priority": "1"},
        {"type": "tip", "text": "fine", "priority": True},
        {"type": "tip", "text": "fine", "priority": 0},
        {"type": "tip", "text": "Go \U0001f525\U0001f525\U0001f525", "priority": 1},
        "text",
    ]
    result = parse({"insights": bad + good})
    assert [insight.text for insight in result.insights] == ["Insight 1", "Insight 2", "Insight 3"]


def test_long_text_is_cut_at_a_word() -> None:
    result = parse({"insights": [{"type": "tip", "text": "word " * 100, "priority": 1}]})
    text = result.insights[0].text
    assert len(text) <= MAX_INSIGHT_CHARS
    assert text.endswith("word…")


def test_a_bad_nudge_config_or_summary_is_replaced_by_the_rules() -> None:
    insight = {"type": "tip", "text": "Plan it.", "priority": 1}
    for config in (
        None,
        {"risky_days": [7], "risk_level": "low", "best_nudge_time": "08:00", "needs_extra_motivation": False},
        {
            "risky_days": [1],
            "risk_level": "huge",
            "best_nudge_time": "08:00",
            "needs_extra_motivation": False,
        },
        {"risky_days": [1], "risk_level": "low", "best_nudge_time": "8am", "needs_extra_motivation": False},
        {"risky_days": [1], "risk_level": "low", "best_nudge_time": "08:00", "needs_extra_motivation": "no"},
    ):
        result = parse({"insights": [insight], "nudge_config": config, "summary": ""})
        assert result.nudge_config == RULES_NUDGE
        assert result.summary == "rules summary"


@pytest.mark.parametrize(
    "text",
    ["", "not json", "[1, 2]", '{"insights": []}', '{"insights": "many"}', '{"insights": [{"type": "tip"}]}'],
)
def test_output_without_a_usable_insight_is_rejected(text: str) -> None:
    assert parse(text) is None


def test_templates_cite_best_and_worst_day_and_the_trend() -> None:
    data = facts(
        metrics=metrics(
            completion_rate_30d=62.5,
            completion_rate_7d=40.0,
            best_day_index=1,
            best_day_rate=100.0,
            worst_day_index=5,
            worst_day_rate=33.3,
        )
    )
    result = template_insights(data)
    assert [(insight.type, insight.priority) for insight in result.insights] == [
        (InsightType.PATTERN, 1),
        (InsightType.TIP, 2),
        (InsightType.WARNING, 3),
    ]
    texts = [insight.text for insight in result.insights]
    assert "Monday" in texts[0]
    assert "100%" in texts[0]
    assert "Friday" in texts[1]
    assert "33.3%" in texts[1]
    assert "40%" in texts[2]
    assert "62.5%" in texts[2]
    assert result.nudge_config == nudge_config(data)
    assert "62.5%" in result.summary
    assert "6 of 10" in result.summary


def test_templates_without_weekday_figures_still_give_the_trend() -> None:
    result = template_insights(facts(metrics=metrics(completion_rate_7d=80.0)))
    assert [insight.type for insight in result.insights] == [InsightType.ENCOURAGEMENT]


def test_prompt_shows_the_answer_as_json_with_placeholders_and_the_context_as_lines() -> None:
    data = facts(
        weekday_rates=[WeekdayRate(5, 3, 33.3)],
        skip_reasons={"tired": 3},
        recent=[AnsweredRow(date(2026, 3, 6), "skipped", "tired", "tough", "long day")],
        previous_metrics={"completion_rate_30d": 70.0, "completion_rate_7d": 50.0, "current_streak": 4},
    )
    system = insights_system_prompt(data)
    example = json.loads(system[system.index("{") :])
    assert example["insights"][0]["type"] == "pattern"
    assert example["insights"][0]["text"].startswith("<")
    assert example["nudge_config"] == nudge_config(data).as_json()
    user = insights_user_prompt(data)
    assert "Friday: 33.3% of 3 answered" in user
    assert "tired: 3" in user
    assert "last 30 days then: 70.0%" in user
    assert "2026-03-06 Friday: skipped, reason tired, mood tough, note: long day" in user
