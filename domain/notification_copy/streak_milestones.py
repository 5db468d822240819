"""The streak-milestone notice, with a line per milestone (§3.2, §3.10)."""

from types import MappingProxyType
from typing import Final
from uuid import UUID

from domain.notification_copy import deep_links
from domain.notification_copy.content import NotificationContent
from domain.notification_types import EntityType, NotificationType

__all__ = ["MILESTONE_LINES", "streak_milestone_notification"]

MILESTONE_LINES: Final = MappingProxyType(
    {
        7: "A full week! The habit is taking root.",
        14: "Two weeks strong. This is becoming who you are.",
        21: "Three weeks: this is how habits are made.",
        30: "A whole month without breaking the chain. Impressive.",
        50: "Fifty days. You're in rare company now.",
        100: "Triple digits! Welcome to the Century Club.",
        200: "200 days of showing up. Incredible consistency.",
        365: "One full year. That's legendary.",
        500: "500 days. Nothing can stop you now.",
        730: "Two whole years, day after day. Remarkable.",
        1000: "1000 days. No words, just respect.",
    }
)


def streak_milestone_notification(goal_id: UUID, goal_title: str, streak: int) -> NotificationContent:
    """Celebrates reaching ``streak`` days on a goal (one of ``domain.streaks.STREAK_MILESTONES``)."""
    if streak not in MILESTONE_LINES:
        raise ValueError(f"{streak} is not a streak milestone")
    return NotificationContent(
        notification_type=NotificationType.STREAK_MILESTONE,
        title=f"🔥 {streak}-day streak!",
        body=f"{goal_title.strip()}: {MILESTONE_LINES[streak]}",
        data={
            "type": "streak_milestone",
            "goalId": str(goal_id),
            "streak": streak,
            "deepLink": deep_links.goal_details(goal_id),
        },
        entity_type=EntityType.GOAL,
        entity_id=goal_id,
    )
