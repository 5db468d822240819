"""Insights written from the metrics alone: what a goal gets when no model is configured, the model
fails, or its answer is unusable (the issue's "a template fallback for every text").

They say only what the numbers show: the strongest and the weakest weekday over 90 days and the last
7 days against the last 30, each with its figures, so the template path is as data-backed as the
model is asked to be.
"""

from __future__ import annotations

from domain.insights.output import Insight, InsightsText, InsightType
from domain.insights.rules import WEEKDAY_NAMES, GoalFacts, InsightMetrics, nudge_config

__all__ = ["template_insights", "template_summary"]


def template_insights(facts: GoalFacts) -> InsightsText:
    metrics = facts.metrics
    found = [_trend(metrics), *_weekdays(metrics, facts.title)]
    # The weekday insights first when they exist: they are the actionable ones.
    ordered = found[1:] + found[:1]
    return InsightsText(
        insights=tuple(
            Insight(kind, text, priority) for priority, (kind, text) in enumerate(ordered, start=1)
        ),
        nudge_config=nudge_config(facts),
        summary=template_summary(facts),
    )


def template_summary(facts: GoalFacts) -> str:
    metrics = facts.metrics
    return (
        f"{facts.title}: {_percent(metrics.completion_rate_30d)} done over the last 30 days "
        f"({metrics.completed_checkins_30d} of {metrics.total_checkins_30d}), "
        f"current streak {metrics.current_streak}."
    )


def _trend(metrics: InsightMetrics) -> tuple[InsightType, str]:
    week, month = _percent(metrics.completion_rate_7d), _percent(metrics.completion_rate_30d)
    if metrics.completion_rate_7d > metrics.completion_rate_30d:
        return InsightType.ENCOURAGEMENT, f"Your last 7 days ({week}) beat your 30-day rate ({month})."
    if metrics.completion_rate_7d < metrics.completion_rate_30d:
        return (
            InsightType.WARNING,
            f"Your last 7 days ({week}) trail your 30-day rate ({month}); one completed day turns it around.",
        )
    return InsightType.PATTERN, f"You are steady: {week} over the last 7 days, the same as over 30."


def _weekdays(metrics: InsightMetrics, title: str) -> list[tuple[InsightType, str]]:
    found: list[tuple[InsightType, str]] = []
    if metrics.best_day_index is not None and metrics.best_day_rate is not None:
        day = WEEKDAY_NAMES[metrics.best_day_index]
        found.append(
            (
                InsightType.PATTERN,
                f"{day} is your strongest day for {title}: {_percent(metrics.best_day_rate)} done.",
            )
        )
    if metrics.worst_day_index is not None and metrics.worst_day_rate is not None:
        day = WEEKDAY_NAMES[metrics.worst_day_index]
        found.append(
            (
                InsightType.TIP,
                f"{day} is your hardest day ({_percent(metrics.worst_day_rate)} done): "
                f"plan {title} early on {day}s.",
            )
        )
    return found


def _percent(rate: float) -> str:
    return f"{rate:g}%"
