"""The weekly recap's numbers (§2.7, §3.12; the app's fields: client-behaviour §6.1), shaped from the
per-chunk counts that db/weekly_recap_stats.py reads in SQL.

The window is the user's previous local Monday–Sunday, stored under that Monday (trap 7). Every rate
divides completed occurrences by *scheduled* occurrences (the check-in rows of the window, whatever
their status: every scheduled day has a row), never by 7 (upstream's defect). What comes out is
JSON-ready (dates and ids as text), stored as is and served as is.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from decimal import Decimal
from enum import StrEnum
from typing import Any, Final
from uuid import UUID

from domain.local_time import local_monday

__all__ = [
    "TREND_WEEKS",
    "BadgeUnlocked",
    "GoalStatusBand",
    "GoalWeek",
    "PartnerStreak",
    "RecapFacts",
    "RecapNumbers",
    "RecapSubject",
    "WeekCounts",
    "WeekdayCounts",
    "completion_rate",
    "recap_numbers",
    "recap_week_start",
    "status_band",
]

# completion_rate_trend covers the recap week and the three before it.
TREND_WEEKS: Final = 4
EXCELLENT_FROM: Final = 80.0
GOOD_FROM: Final = 50.0
# ISO weekday (1 = Monday) → the English name the app shows.
WEEKDAY_NAMES: Final = ("Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday")


def recap_week_start(local_today: date) -> date:
    """The Monday of the last finished local week: the recap that `local_today` looks back on."""
    return local_monday(local_today) - timedelta(days=7)


@dataclass(frozen=True, slots=True)
class RecapSubject:
    """A user and the week to recap, with what decides whether a recap is due at all."""

    user_id: UUID
    week_start: date
    name: str
    motivation_style: str
    plan: str
    active_goals: int
    # Maxima over the user's active goals (§3.3 user streak; the home screen's longest streak).
    current_streak: int
    longest_streak: int
    has_recap: bool


@dataclass(frozen=True, slots=True)
class GoalWeek:
    """One goal's occurrences in the window (goals with at least one row there)."""

    goal_id: UUID
    title: str
    status: str
    current_streak: int
    longest_streak: int
    scheduled: int
    completed: int


@dataclass(frozen=True, slots=True)
class WeekCounts:
    """All of a user's occurrences of one week; weeks_ago 0 is the recap week."""

    weeks_ago: int
    scheduled: int
    completed: int
    answered: int
    rest_days: int
    tough: int
    good: int
    amazing: int


@dataclass(frozen=True, slots=True)
class WeekdayCounts:
    """The recap week's occurrences on one ISO weekday (1 = Monday)."""

    iso_weekday: int
    scheduled: int
    completed: int


@dataclass(frozen=True, slots=True)
class BadgeUnlocked:
    badge_key: str
    badge_name: str
    description: str | None
    category: str
    rarity: str
    unlocked_at: datetime


@dataclass(frozen=True, slots=True)
class PartnerStreak:
    partner_id: UUID
    partner_name: str
    partner_streak: int
    partnership_id: UUID


@dataclass(frozen=True, slots=True)
class RecapFacts:
    """Everything read for one user's recap."""

    subject: RecapSubject
    goals: Sequence[GoalWeek]
    weeks: Sequence[WeekCounts]
    weekdays: Sequence[WeekdayCounts]
    badges: Sequence[BadgeUnlocked]
    partners: Sequence[PartnerStreak]

    def week(self, weeks_ago: int) -> WeekCounts:
        found = next((week for week in self.weeks if week.weeks_ago == weeks_ago), None)
        return found or WeekCounts(weeks_ago, 0, 0, 0, 0, 0, 0, 0)

    @property
    def has_data(self) -> bool:
        """A recap needs an active goal and at least one occurrence in the window (§6.1: else 404)."""
        return self.subject.active_goals > 0 and self.week(0).scheduled > 0


class GoalStatusBand(StrEnum):
    EXCELLENT = "excellent"
    GOOD = "good"
    NEEDS_ATTENTION = "needs_attention"


def completion_rate(completed: int, scheduled: int) -> float:
    """Percent of scheduled occurrences completed, one decimal; 0 when nothing was scheduled."""
    return round(completed * 100 / scheduled, 1) if scheduled else 0.0


def status_band(rate: float) -> GoalStatusBand:
    if rate >= EXCELLENT_FROM:
        return GoalStatusBand.EXCELLENT
    if rate >= GOOD_FROM:
        return GoalStatusBand.GOOD
    return GoalStatusBand.NEEDS_ATTENTION


@dataclass(frozen=True, slots=True)
class RecapNumbers:
    """The stored columns of a recap other than its five texts."""

    week_start: date
    week_end: date
    goals_hit: int
    goals_total: int
    consistency_percent: Decimal
    stats: dict[str, Any]
    goal_breakdown: list[dict[str, Any]]
    completion_rate_trend: list[dict[str, Any]]
    achievements_unlocked: list[dict[str, Any]]
    partner_context: list[dict[str, Any]] | None


def recap_numbers(facts: RecapFacts) -> RecapNumbers:
    week_start = facts.subject.week_start
    breakdown = _goal_breakdown(facts.goals)
    stats = _stats(facts)
    return RecapNumbers(
        week_start=week_start,
        week_end=week_start + timedelta(days=6),
        goals_hit=sum(goal["status"] != GoalStatusBand.NEEDS_ATTENTION for goal in breakdown),
        goals_total=len(breakdown),
        consistency_percent=Decimal(str(stats["completion_rate"])),
        stats=stats,
        goal_breakdown=breakdown,
        completion_rate_trend=_trend(facts),
        achievements_unlocked=[_badge(badge) for badge in facts.badges],
        partner_context=[_partner(partner) for partner in facts.partners] or None,
    )


def _goal_breakdown(goals: Sequence[GoalWeek]) -> list[dict[str, Any]]:
    rows: list[dict[str, Any]] = []
    for goal in goals:
        rate = completion_rate(goal.completed, goal.scheduled)
        rows.append(
            {
                "goal_id": str(goal.goal_id),
                "title": goal.title,
                "completed": goal.completed,
                # The app's "total" (upstream renamed it from "scheduled"): the goal's scheduled occurrences.
                "total": goal.scheduled,
                # One row per goal and date: its completed occurrences are its active days.
                "days_active": goal.completed,
                "completion_rate": rate,
                "status": status_band(rate).value,
                "current_streak": goal.current_streak,
                "longest_streak": goal.longest_streak,
                "is_archived": goal.status == "archived",
            }
        )
    # Best first; ties by title, then id, so the order is stable.
    rows.sort(key=lambda row: (-row["completion_rate"], row["title"], row["goal_id"]))
    return rows


def _stats(facts: RecapFacts) -> dict[str, Any]:
    week, previous = facts.week(0), facts.week(1)
    strongest, weakest = _strongest_and_weakest(facts.weekdays)
    return {
        "completed_check_ins": week.completed,
        "scheduled_check_ins": week.scheduled,
        # The recap week's weekdays are its seven dates: one per date with a completion.
        "days_with_checkins": sum(day.completed > 0 for day in facts.weekdays),
        "current_streak": facts.subject.current_streak,
        "longest_streak": facts.subject.longest_streak,
        "completion_rate": completion_rate(week.completed, week.scheduled),
        "total_check_ins": week.answered,
        "rest_day_count": week.rest_days,
        "previous_week_checkins": previous.completed,
        "week_over_week_change": week.completed - previous.completed,
        "strongest_day": strongest,
        "weakest_day": weakest,
        "mood_distribution": {"tough": week.tough, "good": week.good, "amazing": week.amazing},
    }


def _strongest_and_weakest(weekdays: Sequence[WeekdayCounts]) -> tuple[str | None, str | None]:
    """By completed occurrences among the weekdays that had any scheduled (so a scheduled day with no
    completion can be the weakest); Monday first on ties. No strongest without a completion, no
    weakest unless two weekdays differ."""
    days = sorted((day for day in weekdays if day.scheduled > 0), key=lambda day: day.iso_weekday)
    if not days:
        return None, None
    best = max(days, key=lambda day: day.completed)
    worst = min(days, key=lambda day: day.completed)
    strongest = WEEKDAY_NAMES[best.iso_weekday - 1] if best.completed > 0 else None
    weakest = WEEKDAY_NAMES[worst.iso_weekday - 1] if worst.completed < best.completed else None
    return strongest, weakest


def _trend(facts: RecapFacts) -> list[dict[str, Any]]:
    trend = []
    for position, weeks_ago in enumerate(range(TREND_WEEKS - 1, -1, -1), start=1):
        week = facts.week(weeks_ago)
        trend.append(
            {
                "week_start": (facts.subject.week_start - timedelta(weeks=weeks_ago)).isoformat(),
                "week_label": f"Week {position}",
                "completed": week.completed,
                "scheduled": week.scheduled,
                # Upstream's name for the same number; the app of a654134 reads "scheduled".
                "total": week.scheduled,
                "completion_rate": completion_rate(week.completed, week.scheduled),
                "is_current": weeks_ago == 0,
            }
        )
    return trend


def _badge(badge: BadgeUnlocked) -> dict[str, Any]:
    return {
        "badge_key": badge.badge_key,
        "badge_name": badge.badge_name,
        "description": badge.description,
        "category": badge.category,
        "rarity": badge.rarity,
        "unlocked_at": badge.unlocked_at.isoformat(),
    }


def _partner(partner: PartnerStreak) -> dict[str, Any]:
    return {
        "partner_id": str(partner.partner_id),
        "partner_name": partner.partner_name,
        "partner_streak": partner.partner_streak,
        "partnership_id": str(partner.partnership_id),
    }
