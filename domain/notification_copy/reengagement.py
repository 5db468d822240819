"""The re-engagement notice, worded by how many check-ins were missed (§3.10, §3.11)."""

from domain.motivation_style import first_name
from domain.notification_copy import deep_links
from domain.notification_copy.content import NotificationContent
from domain.notification_types import NotificationType

__all__ = ["reengagement_notification"]


def reengagement_notification(missed_count: int, name: str | None) -> NotificationContent:
    """≥ 7 missed: "we miss you, your goals are waiting"; ≥ 3: "don't break the chain";
    else a light check-in reminder."""
    who = first_name(name)
    if missed_count >= 7:
        title, body = (
            f"We miss you, {who}",
            "Your goals are waiting for you. Come back and pick up where you left off.",
        )
    elif missed_count >= 3:
        title, body = (
            "Don't break the chain",
            f"{who}, a few check-ins slipped by. One small step today gets you back.",
        )
    else:
        title, body = "Quick check-in?", f"{who}, how are your goals going? Take a moment to check in today."
    return NotificationContent(
        notification_type=NotificationType.REENGAGEMENT,
        title=title,
        body=body,
        data={"type": "reengagement", "deepLink": deep_links.TABS},
    )
