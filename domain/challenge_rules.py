"""Challenge rules (§3.6): what a new or edited challenge may be, who may join and when, and the
invitation terms. Pure: the caller supplies the facts (local dates, counts, memberships) and writes.

Every refusal is a RuleBroken (400), a PlanLimitReached (403) or an InvalidInput (422); the join
rules are checked in the order §3.6 lists them, so a request that breaks several hears the first.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, timedelta
from enum import StrEnum
from typing import Final

from domain.errors import PlanLimitReached, RuleBroken
from domain.local_time import parse_hhmm

__all__ = [
    "DIRECT_INVITE_TTL",
    "LINK_INVITE_TTL",
    "MAX_DURATION_DAYS",
    "MAX_REMINDER_TIMES",
    "MAX_START_AHEAD_DAYS",
    "OPEN_STATUSES",
    "ChallengeStatus",
    "ChallengeType",
    "JoinFacts",
    "challenge_dates",
    "ensure_can_join",
    "ensure_deadline_extension",
    "ensure_join_limit",
    "ensure_participant_cap_raise",
    "invite_link",
    "normalize_challenge_reminder_times",
    "normalize_title",
    "target_value",
    "tracking_type_for",
]

DIRECT_INVITE_TTL: Final = timedelta(days=7)
LINK_INVITE_TTL: Final = timedelta(days=30)
# A challenge runs at most a year and starts within a year: bounds that keep every date PostgreSQL
# and Python compute from them (end dates, deadlines) far from the calendar's end.
MAX_DURATION_DAYS: Final = 365
MAX_START_AHEAD_DAYS: Final = 365
MAX_REMINDER_TIMES: Final = 5
INVITE_LINK_BASE: Final = "https://fitnudge.app/challenge/join/"

# "mentions water, hydration, hydrate, drink, glasses, ml, fluid or h2o": word starts, so "drinking"
# and "500ml" count and "html" does not.
_HYDRATION = re.compile(r"\b(?:water|hydrat|drink|glasses|fluid|h2o)|\b[0-9]*\s?ml\b", re.IGNORECASE)


class ChallengeStatus(StrEnum):
    UPCOMING = "upcoming"
    ACTIVE = "active"
    COMPLETED = "completed"
    CANCELLED = "cancelled"


OPEN_STATUSES: Final = frozenset({ChallengeStatus.UPCOMING, ChallengeStatus.ACTIVE})


class ChallengeType(StrEnum):
    STREAK = "streak"
    CHECKIN_COUNT = "checkin_count"


def normalize_title(title: str) -> str:
    trimmed = title.strip()
    if not trimmed:
        raise RuleBroken("A challenge needs a title.", code="title_required")
    return trimmed


def tracking_type_for(category: str | None, title: str, description: str | None) -> str:
    """How a check-in is completed, from the category (§3.6 Create)."""
    kind = (category or "").strip().lower()
    if kind == "fitness":
        return "workout"
    if kind == "nutrition":
        return "hydration" if _HYDRATION.search(f"{title} {description or ''}") else "meal"
    return "checkin"


def target_value(challenge_type: str, duration_days: int, target_checkins: int | None) -> int:
    """What a participant aims at: the days of a streak challenge, the check-ins of a count challenge."""
    if challenge_type == ChallengeType.CHECKIN_COUNT and target_checkins is not None:
        return target_checkins
    return duration_days


def challenge_dates(
    *, today: date, start_date: date, duration_days: int, end_date: date | None, join_deadline: date | None
) -> date:
    """The end date (start_date + duration_days - 1 unless given), after the checks of §3.6 Create:
    start_date from the creator's local today to a year ahead, the end on or after the start and within
    MAX_DURATION_DAYS of it, join_deadline no later than the end."""
    if start_date < today:
        raise RuleBroken("A challenge cannot start in the past.", code="start_date_in_past")
    if start_date > today + timedelta(days=MAX_START_AHEAD_DAYS):
        raise RuleBroken(
            f"A challenge must start within {MAX_START_AHEAD_DAYS} days.", code="start_date_too_far"
        )
    end = end_date if end_date is not None else start_date + timedelta(days=duration_days - 1)
    if end < start_date:
        raise RuleBroken("A challenge cannot end before it starts.", code="end_before_start")
    if end > start_date + timedelta(days=MAX_DURATION_DAYS - 1):
        raise RuleBroken(f"A challenge lasts at most {MAX_DURATION_DAYS} days.", code="challenge_too_long")
    if join_deadline is not None and join_deadline > end:
        raise RuleBroken(
            "The join deadline must be on or before the end date.", code="join_deadline_after_end"
        )
    return end


def _deadline_after_end() -> RuleBroken:
    return RuleBroken("The join deadline must be on or before the end date.", code="join_deadline_after_end")


def normalize_challenge_reminder_times(times: Sequence[str]) -> list[str]:
    """Distinct sorted "HH:MM" strings (422 for a malformed one), at most 5 (400); none is allowed."""
    normalized = sorted({parse_hhmm(value) for value in times})
    if len(normalized) > MAX_REMINDER_TIMES:
        raise RuleBroken(
            f"A challenge has at most {MAX_REMINDER_TIMES} reminder times.", code="too_many_reminder_times"
        )
    return normalized


def ensure_deadline_extension(
    *, current: date | None, start_date: date, end_date: date, requested: date
) -> None:
    """An edit may only move joining's close later (no deadline closes it after start_date), never past
    end_date (§3.6 Edit challenge)."""
    closes = current if current is not None else start_date
    if requested < closes:
        raise RuleBroken("The join deadline can only be extended.", code="join_deadline_not_extended")
    if requested > end_date:
        raise RuleBroken(
            "The join deadline must be on or before the end date.", code="join_deadline_after_end"
        )


def ensure_participant_cap_raise(*, current: int | None, requested: int | None) -> None:
    """max_participants may only go up (None is unlimited, the highest)."""
    if requested is None:
        return
    if current is None or requested < current:
        raise RuleBroken("The participant limit can only be raised.", code="max_participants_not_raised")


@dataclass(frozen=True, slots=True)
class JoinFacts:
    """What decides a join, read with the challenge row locked (§3.6 Join)."""

    status: str
    today: date  # the joiner's local today
    start_date: date
    end_date: date
    join_deadline: date | None
    participants: int  # the creator included
    max_participants: int | None
    already_in: bool
    is_public: bool
    admitted: bool  # holds a pending direct invite, or uses a valid link code


def ensure_can_join(facts: JoinFacts) -> None:
    """The join rules in §3.6's order; the plan's limit is `ensure_join_limit`."""
    if facts.status not in OPEN_STATUSES:
        raise RuleBroken("This challenge is no longer open.", code="challenge_not_open")
    if facts.join_deadline is not None:
        if facts.today > facts.join_deadline:
            raise RuleBroken("The join deadline has passed.", code="join_deadline_passed")
    elif facts.today > facts.start_date:
        raise RuleBroken("This challenge has already started.", code="challenge_already_started")
    if facts.today > facts.end_date:
        raise RuleBroken("This challenge has ended.", code="challenge_ended")
    if facts.max_participants is not None and facts.participants >= facts.max_participants:
        raise RuleBroken("This challenge is full.", code="challenge_full")
    if facts.already_in:
        raise RuleBroken("You are already in this challenge.", code="already_joined")
    if not facts.is_public and not facts.admitted:
        raise RuleBroken("This challenge is private: you need an invitation.", code="invitation_required")


def ensure_join_limit(joined: int, limit: int | None) -> None:
    """challenge_limit: upcoming/active challenges joined and not created (free 1, premium unlimited)."""
    if limit is not None and joined >= limit:
        raise PlanLimitReached(
            f"Your plan lets you join {limit} challenge{'s' if limit != 1 else ''} at a time.",
            code="challenge_limit_reached",
            extra={"limit": limit, "joined": joined},
        )


def invite_link(code: str, referral_code: str | None) -> str:
    """The shareable URL of a link invite, with the inviter's referral code when they have one."""
    link = f"{INVITE_LINK_BASE}{code}"
    return f"{link}?ref={referral_code}" if referral_code else link
