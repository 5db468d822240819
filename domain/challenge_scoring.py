"""What a challenge check-in is worth and when one may be written (§3.6 Check-in, Edit own check-in)."""

from __future__ import annotations

from datetime import date
from typing import Final

from domain.errors import RuleBroken

__all__ = ["CHECK_IN_POINTS", "ensure_check_in_day", "ensure_running", "points_for_check_in"]

# +10 a day for streak challenges, +5 a check-in for check-in-count ones.
CHECK_IN_POINTS: Final = {"streak": 10, "checkin_count": 5}
ACTIVE: Final = "active"


def points_for_check_in(challenge_type: str) -> int:
    return CHECK_IN_POINTS[challenge_type]


def ensure_running(status: str) -> None:
    """Check-ins are written, edited and deleted only while the challenge is active: before, there is
    nothing to score; after, the final ranks are frozen."""
    if status != ACTIVE:
        raise RuleBroken(f"This challenge is {status}, not active.", code="challenge_not_active")


def ensure_check_in_day(today: date, start_date: date, end_date: date) -> None:
    """The participant's local today must lie within the challenge's dates."""
    if today < start_date:
        raise RuleBroken("This challenge has not started yet for you.", code="challenge_not_started")
    if today > end_date:
        raise RuleBroken("This challenge has ended.", code="challenge_ended")
