"""The badge-unlocked notice (§3.7, §3.10)."""

from uuid import UUID

from domain.notification_copy import deep_links
from domain.notification_copy.content import NotificationContent
from domain.notification_types import EntityType, NotificationType

__all__ = ["achievement_notification"]


def achievement_notification(
    user_achievement_id: UUID, badge_key: str, badge_name: str, badge_description: str | None
) -> NotificationContent:
    """Badge unlocked: its name and description; the entity is the user_achievements row."""
    return NotificationContent(
        notification_type=NotificationType.ACHIEVEMENT,
        title=f"🏆 Achievement unlocked: {badge_name}",
        body=(badge_description or "").strip() or f"You earned the {badge_name} badge.",
        data={
            "type": "achievement",
            "achievementId": str(user_achievement_id),
            "badgeKey": badge_key,
            "deepLink": deep_links.ACHIEVEMENTS,
        },
        entity_type=EntityType.ACHIEVEMENT,
        entity_id=user_achievement_id,
    )
