"""The premium analytics dashboard of one goal (docs/client-behaviour.md §6.3): its sections, shaped
from the aggregates db/analytics.py computes in one statement.

Everything here is pure: the SQL groups and counts, these functions fill the calendar gaps (days
without a row, weeks and months without answers), number the weeks, round the percentages and attach
the labels and colours the app draws. Field names are the client's (`AnalyticsDashboard` in
apps/mobile/src/services/api/analytics.ts).

The base set is the goal's *settled* rows in the window: completed, rest_day, skipped and missed
(every status but pending), as /check-ins/stats counts them. The brief calls them "answered", but it
uses that word for "not pending" (§6.2 sets answered against pending), the original server counted
every non-pending row, and leaving missed days out would let a goal the user ignores show a perfect
completion rate.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from decimal import ROUND_HALF_UP, Decimal
from typing import Final
from uuid import UUID

from domain.local_time import local_monday, weekday_sun0
from domain.streaks import CheckInStatus

__all__ = [
    "DAYS_DEFAULT",
    "DAYS_MAX",
    "DAYS_MIN",
    "DONE_STATUSES",
    "AnalyticsDashboard",
    "DashboardFacts",
    "HeatmapDay",
    "MonthlyTrendItem",
    "MoodTrendItem",
    "SkipReasonItem",
    "StreakWeek",
    "Tally",
    "ThisWeekDay",
    "WeekdayConsistency",
    "awaits_day_jobs",
    "build_dashboard",
    "completion_rate",
    "heatmap",
    "monthly_trend",
    "mood_trend",
    "percentage",
    "skip_reasons",
    "streak_history",
    "streak_since",
    "this_week_summary",
    "weekly_consistency",
]

DAYS_MIN, DAYS_MAX, DAYS_DEFAULT = 7, 180, 30
STREAK_WEEKS: Final = 12  # streak_history keeps the latest weeks only
TREND_MONTHS: Final = 6  # monthly_trend reaches back at most to the month five before the current one

# Rest days count as done on this dashboard (unlike the goal streak, where they only keep a run alive).
DONE_STATUSES: Final = frozenset({CheckInStatus.COMPLETED, CheckInStatus.REST_DAY})
NOT_SCHEDULED: Final = "not_scheduled"  # a date without a row
NO_DATA: Final = "no_data"  # a date of this week before the goal existed

# The heatmap's colour steps; a date without a row is 1, so it stays apart from a skipped or missed day.
_INTENSITY: Final[Mapping[str, int]] = {
    CheckInStatus.COMPLETED: 4,
    CheckInStatus.REST_DAY: 3,
    CheckInStatus.PENDING: 2,
    NOT_SCHEDULED: 1,
    CheckInStatus.SKIPPED: 0,
    CheckInStatus.MISSED: 0,
}
_MOOD_SCORES: Final[Mapping[str, int]] = {"tough": 1, "good": 2, "amazing": 3}
# reason → (label, colour); a skip without a reason is "other".
_SKIP_REASONS: Final[Mapping[str, tuple[str, str]]] = {
    "work": ("Work", "#FF6B6B"),
    "tired": ("Tired", "#4ECDC4"),
    "sick": ("Sick", "#9B59B6"),
    "schedule": ("Schedule", "#F39C12"),
    "other": ("Other", "#95A5A6"),
}
# English names whatever the server's locale (strftime's %a and %b follow it); index 0 = Sunday / January.
_DAY_NAMES: Final = ("Sun", "Mon", "Tue", "Wed", "Thu", "Fri", "Sat")
_MONTH_NAMES: Final = ("Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec")
_MONDAY_FIRST: Final = (1, 2, 3, 4, 5, 6, 0)  # weekly_consistency's order, Sunday last


@dataclass(frozen=True, slots=True)
class Tally:
    """Settled rows of a group, and how many of them were done (completed or rest_day)."""

    total: int
    completed: int


@dataclass(frozen=True, slots=True)
class DashboardFacts:
    """What the one statement of db/analytics.py returns for a goal, a window and the owner's today."""

    goal_id: UUID
    goal_title: str
    target_days: list[int] | None
    current_streak: int
    longest_streak: int
    created_on: date  # the owner's local date of the goal's creation
    window_start: date
    statuses: Mapping[date, str]  # every row of the window, pending included
    settled: Tally
    by_weekday: Mapping[int, Tally]  # 0 = Sunday
    by_month: Mapping[date, Tally]  # keyed by the first of the month
    skips: Mapping[str, int]  # skipped rows per reason, a null reason already counted as "other"
    moods: Sequence[tuple[date, str]]  # settled rows with a mood, by date
    week_streaks: Mapping[date, int]  # Monday → longest run of done days in that week (weeks with one)


@dataclass(frozen=True, slots=True)
class HeatmapDay:
    date: date
    status: str
    intensity: int


@dataclass(frozen=True, slots=True)
class ThisWeekDay:
    date: date
    day_name: str
    day_of_week: int
    status: str


@dataclass(frozen=True, slots=True)
class WeekdayConsistency:
    day: str
    day_index: int
    total: int
    completed: int
    percentage: int


@dataclass(frozen=True, slots=True)
class StreakWeek:
    week: str
    week_start: date
    max_streak: int


@dataclass(frozen=True, slots=True)
class MonthlyTrendItem:
    month: str
    month_index: int
    year: int
    total: int
    completed: int
    percentage: int


@dataclass(frozen=True, slots=True)
class SkipReasonItem:
    reason: str
    label: str
    count: int
    percentage: int
    color: str


@dataclass(frozen=True, slots=True)
class MoodTrendItem:
    date: date
    mood: str
    mood_score: int
    label: str


@dataclass(frozen=True, slots=True)
class AnalyticsDashboard:
    """The body of GET /analytics/dashboard, the client's `AnalyticsDashboard`, unwrapped."""

    goal_id: UUID
    goal_title: str
    goal_created_at: date
    target_days: list[int] | None  # null for a daily goal
    total_check_ins: int
    completed_check_ins: int
    completion_rate: float
    current_streak: int
    longest_streak: int
    heatmap_data: list[HeatmapDay]
    this_week_summary: list[ThisWeekDay]
    weekly_consistency: list[WeekdayConsistency]
    streak_history: list[StreakWeek]
    monthly_trend: list[MonthlyTrendItem]
    skip_reasons: list[SkipReasonItem]
    mood_trend: list[MoodTrendItem]
    data_range_days: int
    generated_at: datetime
    cache_hit: bool = False


def _half_up(value: Decimal, places: str) -> Decimal:
    return value.quantize(Decimal(places), rounding=ROUND_HALF_UP)


def percentage(part: int, whole: int) -> int:
    """part ÷ whole as a whole percentage, halves rounded up (as SQL's round() does); 0 of nothing is 0."""
    return int(_half_up(Decimal(part * 100) / whole, "1")) if whole else 0


def completion_rate(tally: Tally) -> float:
    """Done ÷ settled × 100, one decimal; 0 when nothing is settled."""
    return float(_half_up(Decimal(tally.completed * 100) / tally.total, "0.1")) if tally.total else 0.0


def _days(first: date, last: date) -> list[date]:
    return [first + timedelta(days=offset) for offset in range((last - first).days + 1)]


def heatmap(first: date, today: date, statuses: Mapping[date, str]) -> list[HeatmapDay]:
    """Every date of the window with its row's status (pending included), or not_scheduled."""
    shaped = []
    for day in _days(first, today):
        status = statuses.get(day, NOT_SCHEDULED)
        shaped.append(HeatmapDay(date=day, status=status, intensity=_INTENSITY[status]))
    return shaped


def this_week_summary(created_on: date, today: date, statuses: Mapping[date, str]) -> list[ThisWeekDay]:
    """The last seven days, today included, whatever the window."""
    shaped = []
    for day in _days(today - timedelta(days=6), today):
        status = NO_DATA if day < created_on else statuses.get(day, NOT_SCHEDULED)
        weekday = weekday_sun0(day)
        shaped.append(ThisWeekDay(date=day, day_name=_DAY_NAMES[weekday], day_of_week=weekday, status=status))
    return shaped


def weekly_consistency(by_weekday: Mapping[int, Tally]) -> list[WeekdayConsistency]:
    """The weekdays that have settled rows, Monday first and Sunday last."""
    return [
        WeekdayConsistency(
            day=_DAY_NAMES[weekday],
            day_index=weekday,
            total=tally.total,
            completed=tally.completed,
            percentage=percentage(tally.completed, tally.total),
        )
        for weekday in _MONDAY_FIRST
        if (tally := by_weekday.get(weekday)) is not None
    ]


def streak_history(created_on: date, today: date, week_streaks: Mapping[date, int]) -> list[StreakWeek]:
    """Monday weeks numbered W1… from the goal's creation week; the latest twelve, oldest first."""
    first_monday, this_monday = local_monday(created_on), local_monday(today)
    weeks = [
        first_monday + timedelta(weeks=number) for number in range((this_monday - first_monday).days // 7 + 1)
    ]
    return [
        StreakWeek(
            week=f"W{(monday - first_monday).days // 7 + 1}",
            week_start=monday,
            max_streak=week_streaks.get(monday, 0),
        )
        for monday in weeks[-STREAK_WEEKS:]
    ]


def streak_since(today: date) -> date:
    """The Monday of the oldest week streak_history can show: its rows are all the query reads."""
    return local_monday(today) - timedelta(weeks=STREAK_WEEKS - 1)


def _month_starts(first: date, today: date) -> list[date]:
    months = []
    month = first.replace(day=1)
    while month <= today:
        months.append(month)
        month = (month + timedelta(days=32)).replace(day=1)
    return months


def monthly_trend(first: date, today: date, by_month: Mapping[date, Tally]) -> list[MonthlyTrendItem]:
    """The months of the window, at most the current one and the five before it."""
    shaped = []
    for month in _month_starts(first, today)[-TREND_MONTHS:]:
        tally = by_month.get(month, Tally(total=0, completed=0))
        shaped.append(
            MonthlyTrendItem(
                month=_MONTH_NAMES[month.month - 1],
                month_index=month.month - 1,
                year=month.year,
                total=tally.total,
                completed=tally.completed,
                percentage=percentage(tally.completed, tally.total),
            )
        )
    return shaped


def skip_reasons(counts: Mapping[str, int]) -> list[SkipReasonItem]:
    """Each reason with skips, most frequent first (ties in the table's order), as a share of all skips."""
    skipped = sum(counts.values())
    present = [(reason, counts.get(reason, 0)) for reason in _SKIP_REASONS]
    ranked = sorted((item for item in present if item[1] > 0), key=lambda item: -item[1])
    return [
        SkipReasonItem(
            reason=reason,
            label=_SKIP_REASONS[reason][0],
            count=count,
            percentage=percentage(count, skipped),
            color=_SKIP_REASONS[reason][1],
        )
        for reason, count in ranked
    ]


def mood_trend(moods: Sequence[tuple[date, str]]) -> list[MoodTrendItem]:
    """Each settled row with a mood, scored 1–3 and labelled "Jan 05"."""
    return [
        MoodTrendItem(
            date=day,
            mood=mood,
            mood_score=_MOOD_SCORES[mood],
            label=f"{_MONTH_NAMES[day.month - 1]} {day.day:02d}",
        )
        for day, mood in moods
    ]


def awaits_day_jobs(statuses: Mapping[date, str], today: date, *, scheduled_today: bool) -> bool:
    """Whether the day-boundary jobs still owe the window a row: an earlier day still pending (to turn
    missed) or a scheduled today without its pending row yet. Such an answer is cached briefly only."""
    if scheduled_today and today not in statuses:
        return True
    return any(status == CheckInStatus.PENDING and day < today for day, status in statuses.items())


def build_dashboard(
    facts: DashboardFacts, *, today: date, days: int, generated_at: datetime
) -> AnalyticsDashboard:
    return AnalyticsDashboard(
        goal_id=facts.goal_id,
        goal_title=facts.goal_title,
        goal_created_at=facts.created_on,
        target_days=facts.target_days,
        total_check_ins=facts.settled.total,
        completed_check_ins=facts.settled.completed,
        completion_rate=completion_rate(facts.settled),
        current_streak=facts.current_streak,
        longest_streak=facts.longest_streak,
        heatmap_data=heatmap(facts.window_start, today, facts.statuses),
        this_week_summary=this_week_summary(facts.created_on, today, facts.statuses),
        weekly_consistency=weekly_consistency(facts.by_weekday),
        streak_history=streak_history(facts.created_on, today, facts.week_streaks),
        monthly_trend=monthly_trend(facts.window_start, today, facts.by_month),
        skip_reasons=skip_reasons(facts.skips),
        mood_trend=mood_trend(facts.moods),
        data_range_days=days,
        generated_at=generated_at,
    )
