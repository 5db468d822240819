"""Dedupe keys of notification_history (§4, §3.11): a notice happens at most once per key.

Ids are the canonical lowercase UUID text, dates ISO "YYYY-MM-DD" (local dates, never UTC ones) and
times "HH:MM", so the same occurrence always yields the same key whichever process builds it.
"""

from datetime import UTC, date, datetime, time
from uuid import UUID

from domain.local_time import format_hhmm, parse_time_of_day, require_aware

__all__ = [
    "adaptive_nudge_key",
    "ai_motivation_key",
    "challenge_cancelled_key",
    "challenge_ending_key",
    "challenge_invite_key",
    "challenge_result_key",
    "checkin_followup_key",
    "checkin_prompt_key",
    "morning_motivation_key",
    "partner_inactive_key",
    "reengagement_key",
    "streak_milestone_key",
    "subscription_expiry_warning_key",
    "weekly_recap_key",
]


def ai_motivation_key(item_id: UUID, user_id: UUID, local_date: date, reminder_time: str | time) -> str:
    """Once per reminder time per day, per goal or challenge and recipient."""
    hhmm = format_hhmm(parse_time_of_day(reminder_time))
    return f"ai_motivation:{item_id}:{user_id}:{local_date.isoformat()}:{hhmm}"


def checkin_prompt_key(goal_id: UUID, local_date: date) -> str:
    return f"checkin_prompt:{goal_id}:{local_date.isoformat()}"


def checkin_followup_key(goal_id: UUID, local_date: date) -> str:
    return f"checkin_followup:{goal_id}:{local_date.isoformat()}"


def morning_motivation_key(user_id: UUID, local_date: date) -> str:
    return f"morning_motivation:{user_id}:{local_date.isoformat()}"


def reengagement_key(user_id: UUID, local_date: date) -> str:
    return f"reengagement:{user_id}:{local_date.isoformat()}"


def partner_inactive_key(recipient_id: UUID, partner_id: UUID, local_date: date) -> str:
    return f"partner_inactive:{recipient_id}:{partner_id}:{local_date.isoformat()}"


def adaptive_nudge_key(subtype: str, user_id: UUID, local_date: date) -> str:
    """Once per sub-type per user per local day (e.g. ``adaptive:streak_at_risk:<user>:<date>``)."""
    return f"adaptive:{subtype}:{user_id}:{local_date.isoformat()}"


def weekly_recap_key(user_id: UUID, week_start: date) -> str:
    """``week_start`` is the local Monday the recap describes."""
    return f"weekly_recap:{user_id}:{week_start.isoformat()}"


def subscription_expiry_warning_key(subscription_id: UUID, expires_date: datetime) -> str:
    """Once per subscription and expiry: a renewal that moves the date allows a new warning.

    The date part is the UTC date of ``expires_date`` (a timestamptz), so every process agrees.
    """
    require_aware(expires_date, "expires_date")
    return f"subscription_expiry_warning:{subscription_id}:{expires_date.astimezone(UTC).date().isoformat()}"


def challenge_ending_key(challenge_id: UUID, user_id: UUID, kind: str) -> str:
    """``kind`` is ending_soon or final_day."""
    return f"challenge_ending:{challenge_id}:{user_id}:{kind}"


def challenge_cancelled_key(challenge_id: UUID, user_id: UUID) -> str:
    """A challenge is cancelled at most once (cancelled is final), so once per participant."""
    return f"challenge_cancelled:{challenge_id}:{user_id}"


def challenge_result_key(challenge_id: UUID, user_id: UUID) -> str:
    """A challenge completes at most once (completed is final), so once per participant."""
    return f"challenge_completed:{challenge_id}:{user_id}"


def challenge_invite_key(invite_id: UUID, expires_at: datetime) -> str:
    """Once per invitation: an invite reset to pending gets a new expiry, and so may notify again."""
    require_aware(expires_at, "expires_at")
    return f"challenge_invite:{invite_id}:{expires_at.astimezone(UTC).isoformat()}"


def streak_milestone_key(goal_id: UUID, milestone: int, streak_start_date: date) -> str:
    """Once per goal, milestone and streak: a new streak reaching the same milestone notifies again."""
    return f"streak_milestone:{goal_id}:{milestone}:{streak_start_date.isoformat()}"
