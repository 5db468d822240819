"""Achievements (§3.7): the condition types, the badge catalogue and which badges a user has earned.

The catalogue is the one list of the 69 badges; migration 0012 seeds achievement_types with the same
rows written out literally (a migration must not change when this module does), and a test holds the
two equal. Evaluation is pure here: `earned_badges` compares a user's counts (db/achievements.py
loads them for a set of users in one statement) with the badges not yet unlocked.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta
from enum import StrEnum
from typing import Final, Protocol, TypeVar

__all__ = [
    "ACCOUNT_AGE_THRESHOLDS",
    "CATALOGUE",
    "PERFECT_WINDOWS",
    "Badge",
    "Condition",
    "ConditionCounts",
    "SourceType",
    "UnlockCondition",
    "account_age_windows",
    "earned_badges",
    "measure",
]


class Condition(StrEnum):
    """`unlock_condition.type`: what a badge counts (§3.7, condition semantics)."""

    CHECKIN_COUNT = "checkin_count"
    GOAL_COUNT = "goal_count"
    PARTNER_COUNT = "partner_count"
    STREAK = "streak"
    PERFECT_WEEK = "perfect_week"
    PERFECT_MONTH = "perfect_month"
    PERFECT_PERIOD = "perfect_period"
    NUDGES_SENT = "nudges_sent"
    CHEERS_SENT = "cheers_sent"
    AI_CONVERSATIONS = "ai_conversations"
    RECAPS_VIEWED = "recaps_viewed"
    ACCOUNT_AGE = "account_age"
    CHALLENGE_COUNT = "challenge_count"
    CHALLENGE_WON = "challenge_won"


class SourceType(StrEnum):
    """What triggered an evaluation: user_achievements.metadata.source_type (§3.7)."""

    GOAL = "goal"  # a goal created or checked in; source_id is the goal (the app's goal_id)
    CHECK = "check"  # POST /achievements/check
    ACCOUNT_AGE = "account_age"  # the daily sweep
    PARTNERSHIP = "partnership"  # an accepted partnership; source_id is the partnership
    NUDGE = "nudge"  # a sent nudge or cheer; source_id is the nudge
    RECAP_VIEWED = "recap_viewed"  # a weekly recap's first view; source_id is the recap
    CHALLENGE = "challenge"  # a challenge check-in; source_id is the challenge
    CHALLENGE_WON = "challenge_won"  # challenges completed with winners (one evaluation for all; no id)


PERFECT_CONDITIONS: Final = frozenset(
    {Condition.PERFECT_WEEK, Condition.PERFECT_MONTH, Condition.PERFECT_PERIOD}
)

# The windows (local days, today included) whose perfect-day counts are loaded. A perfect badge with
# another value could never be measured, so it is never earned.
PERFECT_WINDOWS: Final = (7, 30, 90, 180, 365)


@dataclass(frozen=True, slots=True)
class UnlockCondition:
    """`{"type": <condition>, "value": N}`; `type` stays text: a type the code does not know is never
    earned."""

    type: str
    value: int

    def as_json(self) -> dict[str, object]:
        return {"type": self.type, "value": self.value}


@dataclass(frozen=True, slots=True)
class ConditionCounts:
    """One user's counts at evaluation time; `perfect_days[N]` = distinct local days with a completed
    check-in among the last N local days (N in PERFECT_WINDOWS)."""

    checkin_count: int = 0
    goal_count: int = 0
    partner_count: int = 0
    streak: int = 0
    perfect_days: Mapping[int, int] | None = None
    nudges_sent: int = 0
    cheers_sent: int = 0
    ai_conversations: int = 0
    recaps_viewed: int = 0
    account_age: int = 0
    challenge_count: int = 0
    challenge_won: int = 0

    def as_json(self) -> dict[str, object]:
        """The counts as stored in user_achievements.metadata (the perfect-day counts as perfect_days_N)."""
        perfect = self.perfect_days or {}
        return {
            "checkin_count": self.checkin_count,
            "goal_count": self.goal_count,
            "partner_count": self.partner_count,
            "streak": self.streak,
            **{f"perfect_days_{window}": perfect.get(window, 0) for window in PERFECT_WINDOWS},
            "nudges_sent": self.nudges_sent,
            "cheers_sent": self.cheers_sent,
            "ai_conversations": self.ai_conversations,
            "recaps_viewed": self.recaps_viewed,
            "account_age": self.account_age,
            "challenge_count": self.challenge_count,
            "challenge_won": self.challenge_won,
        }


# Keyed by the condition text (a StrEnum member is equal to its text).
_PLAIN_COUNTS: Final[Mapping[str, str]] = {
    Condition.CHECKIN_COUNT: "checkin_count",
    Condition.GOAL_COUNT: "goal_count",
    Condition.PARTNER_COUNT: "partner_count",
    Condition.STREAK: "streak",
    Condition.NUDGES_SENT: "nudges_sent",
    Condition.CHEERS_SENT: "cheers_sent",
    Condition.AI_CONVERSATIONS: "ai_conversations",
    Condition.RECAPS_VIEWED: "recaps_viewed",
    Condition.ACCOUNT_AGE: "account_age",
    Condition.CHALLENGE_COUNT: "challenge_count",
    Condition.CHALLENGE_WON: "challenge_won",
}


def measure(counts: ConditionCounts, condition: UnlockCondition) -> int | None:
    """What `counts` says about `condition`; None when it cannot be measured (unknown type, a perfect
    window that is not loaded). A perfect condition of value N reads the N-day window."""
    if condition.type in PERFECT_CONDITIONS:
        return (counts.perfect_days or {}).get(condition.value)
    attribute = _PLAIN_COUNTS.get(condition.type)
    return None if attribute is None else int(getattr(counts, attribute))


class HasCondition(Protocol):
    @property
    def condition(self) -> UnlockCondition: ...


BadgeT = TypeVar("BadgeT", bound=HasCondition)


def earned_badges(counts: ConditionCounts, candidates: Iterable[BadgeT]) -> list[BadgeT]:
    """The candidates (active badges not yet unlocked) whose condition `counts` meets: measured ≥
    value (a perfect window is met when every one of its N days had a completed check-in)."""
    earned = []
    for badge in candidates:
        measured = measure(counts, badge.condition)
        if measured is not None and measured >= badge.condition.value:
            earned.append(badge)
    return earned


@dataclass(frozen=True, slots=True)
class Badge:
    """One catalogue entry; its sort_order is its 1-based position in CATALOGUE."""

    key: str
    name: str
    description: str
    icon: str
    condition: UnlockCondition
    category: str
    rarity: str
    points: int


# (badge_key, badge_name, value, rarity, points) per family.
_Entry = tuple[str, str, int, str, int]


def _family(
    condition: Condition, category: str, icon: str, describe: str, entries: Iterable[_Entry]
) -> list[Badge]:
    """Badges of one condition; `describe` is worded for the value ("{n}" and "{s}" for the plural)."""
    return [
        Badge(
            key=key,
            name=name,
            description=describe.format(n=value, s="" if value == 1 else "s"),
            icon=icon,
            condition=UnlockCondition(condition.value, value),
            category=category,
            rarity=rarity,
            points=points,
        )
        for key, name, value, rarity, points in entries
    ]


def _perfect(condition: Condition, key: str, name: str, days: int, rarity: str, points: int) -> Badge:
    return _family(
        condition,
        "consistency",
        "🌟",
        "Check in on every one of {n} days in a row",
        [(key, name, days, rarity, points)],
    )[0]


# §3.7, the catalogue, in its order (sort_order follows it).
CATALOGUE: Final[tuple[Badge, ...]] = (
    *_family(
        Condition.CHECKIN_COUNT,
        "milestone",
        "✅",
        "Complete your first check-in",
        [("first_checkin", "Getting Started", 1, "common", 10)],
    ),
    *_family(
        Condition.GOAL_COUNT,
        "milestone",
        "🎯",
        "Create {n} goal{s}",
        [
            ("first_goal", "Goal Setter", 1, "common", 15),
            ("goals_3", "Triple Threat", 3, "common", 30),
            ("goals_5", "Goal Getter", 5, "rare", 50),
            ("goals_10", "Ambitious", 10, "epic", 100),
        ],
    ),
    *_family(
        Condition.PARTNER_COUNT,
        "social",
        "🤝",
        "Have {n} accountability partner{s}",
        [
            ("first_partner", "First Ally", 1, "common", 20),
            ("partners_3", "Social Connector", 3, "rare", 100),
        ],
    ),
    *_family(
        Condition.NUDGES_SENT,
        "social",
        "👋",
        "Send {n} nudge{s} to your partners",
        [("first_nudge", "First Nudge", 1, "common", 15)],
    ),
    *_family(
        Condition.CHEERS_SENT,
        "social",
        "🎉",
        "Send {n} cheer{s} to a partner",
        [("first_cheer", "Cheerleader", 1, "common", 15)],
    ),
    *_family(
        Condition.NUDGES_SENT,
        "social",
        "👋",
        "Send {n} nudge{s} to your partners",
        [
            ("nudges_10", "Supportive Friend", 10, "common", 50),
            ("nudges_50", "Encouragement Champion", 50, "rare", 100),
            ("nudges_100", "Motivation Master", 100, "epic", 250),
            ("nudges_250", "Cheerful Spirit", 250, "legendary", 500),
            ("nudges_500", "Support Legend", 500, "legendary", 1000),
            ("nudges_1000", "Ultimate Supporter", 1000, "legendary", 2000),
        ],
    ),
    *_family(
        Condition.STREAK,
        "streak",
        "🔥",
        "Reach a {n}-day streak",
        [
            ("streak_3", "Three Day Streak", 3, "common", 20),
            ("streak_7", "Week Warrior", 7, "rare", 50),
            ("streak_14", "Two Week Triumph", 14, "rare", 75),
            ("streak_21", "Habit Forming", 21, "rare", 100),
            ("streak_30", "Month Master", 30, "epic", 200),
            ("streak_50", "Fifty Strong", 50, "epic", 350),
            ("streak_100", "Century Club", 100, "legendary", 1000),
            ("streak_200", "Half Year Hero", 200, "legendary", 2000),
            ("streak_365", "Year Long Legend", 365, "legendary", 5000),
            ("streak_500", "Unstoppable", 500, "legendary", 7500),
            ("streak_730", "Two Year Titan", 730, "legendary", 10000),
            ("streak_1000", "Thousand Day Legend", 1000, "legendary", 15000),
        ],
    ),
    *_family(
        Condition.CHECKIN_COUNT,
        "consistency",
        "💪",
        "Complete {n} check-ins",
        [
            ("checkins_10", "Ten Strong", 10, "common", 25),
            ("checkins_50", "Consistency Champion", 50, "rare", 100),
            ("checkins_100", "Hundred Hero", 100, "epic", 300),
            ("checkins_250", "Quarter Thousand", 250, "epic", 500),
            ("checkins_500", "Half Thousand", 500, "legendary", 1000),
            ("checkins_1000", "Thousand Check-ins", 1000, "legendary", 2500),
            ("checkins_2000", "Two Thousand Strong", 2000, "legendary", 5000),
            ("checkins_5000", "Five Thousand", 5000, "legendary", 10000),
        ],
    ),
    _perfect(Condition.PERFECT_WEEK, "perfect_week", "Perfect Week", 7, "rare", 75),
    _perfect(Condition.PERFECT_MONTH, "perfect_month", "Perfect Month", 30, "epic", 300),
    _perfect(Condition.PERFECT_PERIOD, "perfect_quarter", "Perfect Quarter", 90, "legendary", 1000),
    _perfect(Condition.PERFECT_PERIOD, "perfect_half_year", "Perfect Half Year", 180, "legendary", 2500),
    _perfect(Condition.PERFECT_PERIOD, "perfect_year", "Perfect Year", 365, "legendary", 7500),
    *_family(
        Condition.AI_CONVERSATIONS,
        "engagement",
        "🤖",
        "Send {n} messages to your AI coach",
        [
            ("ai_chat_10", "AI Buddy", 10, "common", 25),
            ("ai_chat_50", "AI Confidant", 50, "rare", 75),
            ("ai_chat_100", "AI Partner", 100, "epic", 200),
            ("ai_chat_250", "AI Expert", 250, "legendary", 400),
            ("ai_chat_500", "AI Best Friend", 500, "legendary", 750),
            ("ai_chat_1000", "AI Soulmate", 1000, "legendary", 1500),
        ],
    ),
    *_family(
        Condition.RECAPS_VIEWED,
        "engagement",
        "📊",
        "Read {n} weekly recaps",
        [
            ("recaps_4", "First Month Recap", 4, "common", 20),
            ("recaps_12", "Quarter Reviewer", 12, "rare", 60),
            ("recaps_26", "Half Year Reflector", 26, "rare", 130),
            ("recaps_52", "Year of Insight", 52, "epic", 260),
            ("recaps_104", "Two Year Sage", 104, "legendary", 520),
        ],
    ),
    *_family(
        Condition.ACCOUNT_AGE,
        "milestone",
        "🎂",
        "Be a FitNudge member for {n} days",
        [
            ("account_30", "Month One", 30, "common", 30),
            ("account_90", "Quarter Member", 90, "rare", 90),
            ("account_180", "Half Year Member", 180, "rare", 180),
            ("account_365", "One Year Member", 365, "epic", 365),
            ("account_730", "Two Year Veteran", 730, "legendary", 730),
            ("account_1095", "Three Year Legend", 1095, "legendary", 1500),
            ("account_1825", "Five Year Champion", 1825, "legendary", 3000),
        ],
    ),
    *_family(
        Condition.CHALLENGE_COUNT,
        "milestone",
        "🏁",
        "Join {n} challenge{s}",
        [
            ("first_challenge", "Challenger", 1, "common", 20),
            ("challenges_5", "Challenge Seeker", 5, "rare", 75),
            ("challenges_10", "Challenge Veteran", 10, "epic", 200),
            ("challenges_25", "Challenge Enthusiast", 25, "epic", 400),
            ("challenges_50", "Challenge Master", 50, "legendary", 750),
            ("challenges_100", "Challenge Legend", 100, "legendary", 1500),
        ],
    ),
    *_family(
        Condition.CHALLENGE_WON,
        "milestone",
        "🏆",
        "Win {n} challenge{s}",
        [
            ("first_win", "First Victory", 1, "rare", 100),
            ("wins_5", "Champion", 5, "epic", 250),
            ("wins_10", "Grand Champion", 10, "legendary", 500),
            ("wins_25", "Dominator", 25, "legendary", 1000),
            ("wins_50", "Unstoppable", 50, "legendary", 2500),
        ],
    ),
)

# The account ages (days) at which a badge unlocks: the daily sweep looks only at users near one.
ACCOUNT_AGE_THRESHOLDS: Final = tuple(
    sorted({badge.condition.value for badge in CATALOGUE if badge.condition.type == Condition.ACCOUNT_AGE})
)


def account_age_windows(now: datetime) -> list[tuple[datetime, datetime]]:
    """The creation instants (start, end), both open, of the users the daily sweep evaluates at `now`:
    those whose local account age is, or became during the last day, a threshold N.

    The local age (local today minus the local date of creation, one zone) differs from the elapsed
    time by less than a day, or by less than two in a zone that jumped across the date line meanwhile
    (Pacific/Apia skipped 30 December 2011). So age N means N − 2 < elapsed < N + 2 days and age N + 1
    means N − 1 < elapsed < N + 3: created in (now − (N + 3) days, now − (N − 2) days). A user is in
    a window on several daily runs, so a missed run still unlocks on time; the evaluation is
    idempotent."""
    return [
        (now - timedelta(days=threshold + 3), now - timedelta(days=threshold - 2))
        for threshold in sorted(ACCOUNT_AGE_THRESHOLDS, reverse=True)
    ]
