"""The recap-ready notice (§3.10)."""

from datetime import date
from decimal import Decimal
from uuid import UUID

from domain.notification_copy import deep_links
from domain.notification_copy.content import NotificationContent
from domain.notification_types import EntityType, IosCategory, NotificationType

__all__ = ["weekly_recap_notification"]


def weekly_recap_notification(
    recap_id: UUID, week_start: date, goals_hit: int, goals_total: int, consistency_percent: Decimal | float
) -> NotificationContent:
    """Recap ready, with goals hit and consistency %; ``week_start`` is the local Monday it describes."""
    percent = round(float(consistency_percent))
    return NotificationContent(
        notification_type=NotificationType.WEEKLY_RECAP,
        title="Your weekly recap is ready",
        body=f"You hit {goals_hit} of {goals_total} goals with {percent}% consistency. See your week.",
        data={
            "type": "weekly_recap",
            "recapId": str(recap_id),
            "weekStart": week_start.isoformat(),
            "deepLink": deep_links.WEEKLY_RECAPS,
        },
        entity_type=EntityType.WEEKLY_RECAP,
        entity_id=recap_id,
        ios_category=IosCategory.WEEKLY_RECAP,
    )
