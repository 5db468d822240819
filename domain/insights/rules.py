"""The numbers behind a goal's insights and the rules read off them (docs/domain.md §3.14).

The metrics themselves are computed in SQL (db/pattern_insights.py); this module holds their shape as
the client reads it, the data threshold, and the nudge rules: risky days are weekdays under 60 %,
risk is high under 50 %, medium from 50 to 75 %, low above.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import date, datetime
from enum import StrEnum
from typing import Any, Final

__all__ = [
    "MIN_REQUIRED_CEILING",
    "MIN_REQUIRED_FLOOR",
    "RISKY_DAY_RATE",
    "WEEKDAY_MIN_ANSWERED",
    "WEEKDAY_NAMES",
    "AnsweredRow",
    "GoalFacts",
    "InsightMetrics",
    "InsightStatus",
    "NudgeConfig",
    "RiskLevel",
    "WeekdayRate",
    "min_required",
    "nudge_config",
    "risk_level",
]

MIN_REQUIRED_FLOOR: Final = 3
MIN_REQUIRED_CEILING: Final = 7
# A weekday counts (best, worst, risky) only with at least this many answered rows in 90 days.
WEEKDAY_MIN_ANSWERED: Final = 2
RISKY_DAY_RATE: Final = 60.0
# 0 = Sunday (docs/domain.md §1.2).
WEEKDAY_NAMES: Final = ("Sunday", "Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday")


class InsightStatus(StrEnum):
    PENDING = "pending"
    GENERATING = "generating"
    COMPLETED = "completed"
    FAILED = "failed"
    INSUFFICIENT_DATA = "insufficient_data"


class RiskLevel(StrEnum):
    LOW = "low"
    MEDIUM = "medium"
    HIGH = "high"


def min_required(frequency_count: int) -> int:
    """Answered rows (90 days) needed before insights: about two weeks of occurrences, 3 to 7."""
    return max(MIN_REQUIRED_FLOOR, min(MIN_REQUIRED_CEILING, 2 * frequency_count))


@dataclass(frozen=True, slots=True)
class InsightMetrics:
    """One snapshot, as stored in current_metrics / previous_metrics and read by the client. Rates are
    completed ÷ answered × 100 with one decimal; 0 when nothing was answered."""

    completion_rate_30d: float
    completion_rate_7d: float
    current_streak: int
    longest_streak: int
    total_checkins_30d: int
    completed_checkins_30d: int
    best_day_index: int | None
    best_day_rate: float | None
    worst_day_index: int | None
    worst_day_rate: float | None
    calculated_at: datetime

    def as_json(self) -> dict[str, Any]:
        return {
            "completion_rate_30d": self.completion_rate_30d,
            "completion_rate_7d": self.completion_rate_7d,
            "current_streak": self.current_streak,
            "longest_streak": self.longest_streak,
            "total_checkins_30d": self.total_checkins_30d,
            "completed_checkins_30d": self.completed_checkins_30d,
            "best_day_index": self.best_day_index,
            "best_day_rate": self.best_day_rate,
            "worst_day_index": self.worst_day_index,
            "worst_day_rate": self.worst_day_rate,
            "calculated_at": self.calculated_at.isoformat(),
        }


@dataclass(frozen=True, slots=True)
class WeekdayRate:
    """One weekday over 90 days, among weekdays with at least WEEKDAY_MIN_ANSWERED answered rows."""

    day_index: int
    answered: int
    rate: float


@dataclass(frozen=True, slots=True)
class AnsweredRow:
    check_in_date: date
    status: str
    skip_reason: str | None
    mood: str | None
    note: str | None  # at most 100 characters (cut in SQL)


@dataclass(frozen=True, slots=True)
class GoalFacts:
    """Everything one generation reads: the context the model gets and the templates use."""

    title: str
    frequency_type: str
    frequency_count: int
    reminder_times: Sequence[str]
    metrics: InsightMetrics
    weekday_rates: Sequence[WeekdayRate]
    skip_reasons: Mapping[str, int]  # 90 days, most frequent first
    recent: Sequence[AnsweredRow]  # the last 30 answered rows, newest first
    previous_metrics: Mapping[str, Any] | None


def risk_level(completion_rate_30d: float) -> RiskLevel:
    if completion_rate_30d < 50:
        return RiskLevel.HIGH
    if completion_rate_30d <= 75:
        return RiskLevel.MEDIUM
    return RiskLevel.LOW


@dataclass(frozen=True, slots=True)
class NudgeConfig:
    risky_days: tuple[int, ...]
    risk_level: RiskLevel
    best_nudge_time: str  # "HH:MM", local
    needs_extra_motivation: bool

    def as_json(self) -> dict[str, Any]:
        return {
            "risky_days": list(self.risky_days),
            "risk_level": self.risk_level.value,
            "best_nudge_time": self.best_nudge_time,
            "needs_extra_motivation": self.needs_extra_motivation,
        }


def nudge_config(facts: GoalFacts) -> NudgeConfig:
    """The nudge settings the rules give for these facts. Extra motivation: high risk, a last week
    below the month, or the two latest answers both skips. The best time is the goal's first reminder
    time, the hour the user chose."""
    metrics = facts.metrics
    latest = [row.status for row in facts.recent[:2]]
    return NudgeConfig(
        risky_days=tuple(sorted(day.day_index for day in facts.weekday_rates if day.rate < RISKY_DAY_RATE)),
        risk_level=risk_level(metrics.completion_rate_30d),
        best_nudge_time=min(facts.reminder_times),
        needs_extra_motivation=(
            risk_level(metrics.completion_rate_30d) is RiskLevel.HIGH
            or metrics.completion_rate_7d < metrics.completion_rate_30d
            or latest == ["skipped", "skipped"]
        ),
    )
