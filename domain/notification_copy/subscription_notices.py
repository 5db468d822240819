"""Transactional subscription notices: premium ended, billing issue, expiry warning (§3.8, §3.10).

They skip category switches and quiet hours (the gate knows), and must say what actually happened:
goals are archived, not paused (trap 13).
"""

from datetime import datetime

from domain.local_time import TimeZoneLike, load_timezone
from domain.notification_copy import deep_links
from domain.notification_copy.content import NotificationContent, human_date, iso_instant
from domain.notification_types import NotificationType

__all__ = ["billing_issue_notification", "expiry_warning_notification", "subscription_expired_notification"]


def _count(n: int, noun: str) -> str:
    return f"{n} {noun}{'' if n == 1 else 's'}"


def _join(parts: list[str]) -> str:
    return parts[0] if len(parts) == 1 else ", ".join(parts[:-1]) + " and " + parts[-1]


def subscription_expired_notification(
    goals_archived: int, challenges_cancelled: int, challenges_left: int
) -> NotificationContent:
    """Premium ended; names what the downgrade teardown archived, cancelled or left (from its log row)."""
    changes = []
    if goals_archived:
        changes.append(f"archived {_count(goals_archived, 'goal')}")
    if challenges_cancelled:
        changes.append(f"cancelled {_count(challenges_cancelled, 'challenge')} you created")
    if challenges_left:
        changes.append(f"removed you from {_count(challenges_left, 'challenge')} over the free limit")
    body = "You're on the free plan now."
    if changes:
        body += f" We {_join(changes)}. Your history is safe; upgrade anytime to pick up where you left off."
    else:
        body += " Your goals and history are safe; upgrade anytime."
    return NotificationContent(
        notification_type=NotificationType.SUBSCRIPTION,
        title="Your Premium plan has ended",
        body=body,
        data={"type": "subscription_expired", "deepLink": deep_links.PROFILE_TAB},
    )


def billing_issue_notification(grace_ends_at: datetime, tz: TimeZoneLike) -> NotificationContent:
    """Payment failed: asks for an update before the grace period ends (the date in the user's zone)."""
    local_day = grace_ends_at.astimezone(load_timezone(tz)).date()
    return NotificationContent(
        notification_type=NotificationType.SUBSCRIPTION,
        title="Payment issue with Premium",
        body=f"We couldn't process your payment. Update it before {human_date(local_day)} to keep Premium.",
        data={
            "type": "billing_issue",
            "graceEndsAt": iso_instant(grace_ends_at),
            "deepLink": deep_links.PROFILE_TAB,
        },
    )


def expiry_warning_notification(expires_at: datetime, tz: TimeZoneLike) -> NotificationContent:
    """Premium ends in 3 days (auto-renew is off)."""
    local_day = expires_at.astimezone(load_timezone(tz)).date()
    return NotificationContent(
        notification_type=NotificationType.SUBSCRIPTION,
        title="Premium ends in 3 days",
        body=f"Your Premium plan ends on {human_date(local_day)}. Renew to keep your goals, challenges "
        "and coach.",
        data={
            "type": "subscription_expiry_warning",
            "expiresAt": iso_instant(expires_at),
            "deepLink": deep_links.PROFILE_TAB,
        },
    )
