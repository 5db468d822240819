"""Partner notices: request, accepted, nudges and cheers, automatic milestones, inactivity (§3.4, §3.5)."""

from collections.abc import Sequence
from types import MappingProxyType
from typing import Final
from uuid import UUID

from domain.notification_copy import deep_links
from domain.notification_copy.content import NotificationContent, clip
from domain.notification_types import EntityType, IosCategory, NotificationType
from domain.nudges import NudgeType, emoji_character, notification_type_for_nudge

__all__ = [
    "NUDGE_BODY_MAX",
    "partner_accepted_notification",
    "partner_achievements_notification",
    "partner_inactive_notification",
    "partner_nudge_notification",
    "partner_request_notification",
]

# A partner's free-text message is cut to this in the push (the nudge row keeps it whole).
NUDGE_BODY_MAX = 150


def _partner_data(
    notification_type: NotificationType,
    sender_id: UUID,
    sender_name: str,
    partnership_id: UUID,
    deep_link: str,
) -> dict[str, object]:
    return {
        "type": notification_type.value,
        "sender_id": str(sender_id),
        "sender_name": sender_name,
        "partnership_id": str(partnership_id),
        "deepLink": deep_link,
    }


def partner_request_notification(
    sender_id: UUID, sender_name: str, partnership_id: UUID
) -> NotificationContent:
    """To the receiver: someone wants you as their accountability partner."""
    kind = NotificationType.PARTNER_REQUEST
    return NotificationContent(
        notification_type=kind,
        title="New partner request",
        body=f"{sender_name} wants you as an accountability partner.",
        data=_partner_data(kind, sender_id, sender_name, partnership_id, deep_links.PARTNER_REQUESTS),
        entity_type=EntityType.PARTNER_REQUEST,
        entity_id=partnership_id,
    )


def partner_accepted_notification(
    accepter_id: UUID, accepter_name: str, partnership_id: UUID
) -> NotificationContent:
    """To the sender of the request: it was accepted; opens the accepter's profile."""
    kind = NotificationType.PARTNER_ACCEPTED
    return NotificationContent(
        notification_type=kind,
        title="Request accepted 🤝",
        body=f"{accepter_name} is now your accountability partner.",
        data=_partner_data(
            kind,
            accepter_id,
            accepter_name,
            partnership_id,
            deep_links.partner_profile(accepter_id, partnership_id),
        ),
        entity_type=EntityType.PARTNER_ACCEPTED,
        entity_id=partnership_id,
    )


# Said when the sender wrote no message (§3.5).
_DEFAULT_NUDGE_TEXTS: Final = MappingProxyType(
    {
        NudgeType.NUDGE: "{sender} sent you a nudge",
        NudgeType.CHEER: "{sender} is cheering you on!",
        NudgeType.MILESTONE: "{sender} says congratulations on your milestone!",
        NudgeType.COMPETITIVE: "{sender}: game on!",
        NudgeType.CUSTOM: "{sender} sent you a message",
    }
)
_NUDGE_TITLES: Final = MappingProxyType(
    {
        NudgeType.NUDGE: "Nudge from {sender}",
        NudgeType.CHEER: "Cheer from {sender}",
        NudgeType.MILESTONE: "Congrats from {sender}",
        NudgeType.COMPETITIVE: "{sender} is competing",
        NudgeType.CUSTOM: "Message from {sender}",
    }
)


def partner_nudge_notification(
    *,
    nudge_id: UUID,
    nudge_type: str,
    sender_id: UUID,
    sender_name: str,
    partnership_id: UUID,
    goal_id: UUID | None,
    emoji: str | None,
    message: str | None,
) -> NotificationContent:
    """A nudge or cheer from a partner: the sender's name, emoji and message (a default text without one)."""
    kind = NudgeType(nudge_type)
    notification_type = notification_type_for_nudge(kind)
    character = emoji_character(emoji)
    title = _NUDGE_TITLES[kind].format(sender=sender_name)
    text = (
        message.strip()
        if message and message.strip()
        else _DEFAULT_NUDGE_TEXTS[kind].format(sender=sender_name)
    )
    data = _partner_data(notification_type, sender_id, sender_name, partnership_id, deep_links.ACTIVITY)
    data["goal_id"] = str(goal_id) if goal_id is not None else None
    return NotificationContent(
        notification_type=notification_type,
        title=f"{title} {character}" if character else title,
        body=clip(text, NUDGE_BODY_MAX),
        data=data,
        entity_type=EntityType.NUDGE,
        entity_id=nudge_id,
        ios_category=IosCategory.PARTNER_ACTIVITY,
    )


def partner_achievements_notification(
    *,
    user_achievement_id: UUID,
    unlocker_id: UUID,
    unlocker_name: str,
    partnership_id: UUID,
    badge_names: Sequence[str],
) -> NotificationContent:
    """To each accepted partner after badges unlock: "<name> unlocked <badge>" or "<N> achievements".

    The entity is the first unlocked user_achievements row.
    """
    if not badge_names:
        raise ValueError("needs at least one unlocked badge")
    what = badge_names[0] if len(badge_names) == 1 else f"{len(badge_names)} achievements"
    kind = NotificationType.PARTNER_MILESTONE
    data = _partner_data(kind, unlocker_id, unlocker_name, partnership_id, deep_links.PARTNERS)
    data["goal_id"] = None
    return NotificationContent(
        notification_type=kind,
        title=f"{unlocker_name} is on a roll 🏆",
        body=f"{unlocker_name} unlocked {what}. Send a cheer!",
        data=data,
        entity_type=EntityType.ACHIEVEMENT,
        entity_id=user_achievement_id,
        ios_category=IosCategory.PARTNER_ACTIVITY,
    )


def partner_inactive_notification(
    partner_id: UUID, partner_name: str, partnership_id: UUID, days_inactive: int
) -> NotificationContent:
    """A partner has been silent for ``days_inactive`` days; suggests sending encouragement."""
    return NotificationContent(
        notification_type=NotificationType.PARTNER_INACTIVE,
        title=f"{partner_name} has been quiet",
        body=f"{partner_name} hasn't checked in for {days_inactive} days. A little encouragement could help.",
        data={
            "type": "partner_inactive",
            "partnerId": str(partner_id),
            "partnershipId": str(partnership_id),
            "daysInactive": days_inactive,
            "deepLink": deep_links.PARTNERS,
        },
        entity_type=EntityType.USER,
        entity_id=partner_id,
    )
