"""The notification catalogue of §3.10: types, the preference switch of each, entities, iOS categories.

The database CHECKs on notification_history list exactly these values, the gate reads the switch of
each type, and the copy builders tag their output with them.
"""

from collections.abc import Mapping
from enum import StrEnum
from types import MappingProxyType
from typing import Final

__all__ = [
    "SWITCH_OF_TYPE",
    "TRANSACTIONAL_TYPES",
    "EntityType",
    "IosCategory",
    "NotificationType",
    "PreferenceSwitch",
]


class NotificationType(StrEnum):
    """notification_history.notification_type (the sub-kind, when any, is in ``data.type``/``subtype``)."""

    AI_MOTIVATION = "ai_motivation"
    REMINDER = "reminder"
    STREAK_MILESTONE = "streak_milestone"
    ACHIEVEMENT = "achievement"
    GOAL_COMPLETE = "goal_complete"  # reserved, not produced
    PARTNER_REQUEST = "partner_request"
    PARTNER_ACCEPTED = "partner_accepted"
    PARTNER_NUDGE = "partner_nudge"
    PARTNER_CHEER = "partner_cheer"
    PARTNER_MILESTONE = "partner_milestone"
    PARTNER_INACTIVE = "partner_inactive"
    REENGAGEMENT = "reengagement"
    ADAPTIVE_NUDGE = "adaptive_nudge"
    WEEKLY_RECAP = "weekly_recap"
    SUBSCRIPTION = "subscription"
    GENERAL = "general"
    SOCIAL = "social"  # reserved
    CHALLENGE_INVITE = "challenge_invite"
    CHALLENGE = "challenge"
    CHALLENGE_ENDING = "challenge_ending"
    CHALLENGE_ENDED = "challenge_ended"
    CHALLENGE_STARTING = "challenge_starting"  # reserved
    CHALLENGE_JOINED = "challenge_joined"  # reserved
    CHALLENGE_OVERTAKEN = "challenge_overtaken"  # reserved
    CHALLENGE_LEAD = "challenge_lead"  # reserved
    CHALLENGE_NUDGE = "challenge_nudge"  # reserved


class PreferenceSwitch(StrEnum):
    """The category switches of notification_preferences (column names)."""

    AI_MOTIVATION = "ai_motivation"
    REMINDERS = "reminders"
    ACHIEVEMENTS = "achievements"
    WEEKLY_RECAP = "weekly_recap"
    REENGAGEMENT = "reengagement"
    PARTNERS = "partners"
    CHALLENGES = "challenges"


class EntityType(StrEnum):
    """notification_history.entity_type: entity_id then holds a real row id of that kind (trap 8)."""

    GOAL = "goal"
    CHECKIN = "checkin"
    ACHIEVEMENT = "achievement"
    PARTNER_REQUEST = "partner_request"
    PARTNER_ACCEPTED = "partner_accepted"
    NUDGE = "nudge"
    USER = "user"
    WEEKLY_RECAP = "weekly_recap"
    CHALLENGE = "challenge"


class IosCategory(StrEnum):
    """The interactive iOS categories the catalogue names (Expo ``categoryId``)."""

    PARTNER_ACTIVITY = "partner_activity"
    WEEKLY_RECAP = "weekly_recap"


_T = NotificationType
_S = PreferenceSwitch

# The category switch each type obeys; None = no switch. ``general`` has no switch but quiet hours
# still apply; the transactional types below skip both switches and quiet hours.
SWITCH_OF_TYPE: Final[Mapping[NotificationType, PreferenceSwitch | None]] = MappingProxyType(
    {
        _T.AI_MOTIVATION: _S.AI_MOTIVATION,
        _T.REMINDER: _S.REMINDERS,
        _T.ADAPTIVE_NUDGE: _S.REMINDERS,
        _T.STREAK_MILESTONE: _S.ACHIEVEMENTS,
        _T.ACHIEVEMENT: _S.ACHIEVEMENTS,
        _T.GOAL_COMPLETE: _S.ACHIEVEMENTS,
        _T.PARTNER_REQUEST: _S.PARTNERS,
        _T.PARTNER_ACCEPTED: _S.PARTNERS,
        _T.PARTNER_NUDGE: _S.PARTNERS,
        _T.PARTNER_CHEER: _S.PARTNERS,
        _T.PARTNER_MILESTONE: _S.PARTNERS,
        _T.PARTNER_INACTIVE: _S.PARTNERS,
        _T.SOCIAL: _S.PARTNERS,
        _T.REENGAGEMENT: _S.REENGAGEMENT,
        _T.WEEKLY_RECAP: _S.WEEKLY_RECAP,
        _T.CHALLENGE_INVITE: _S.CHALLENGES,
        _T.CHALLENGE: _S.CHALLENGES,
        _T.CHALLENGE_ENDING: _S.CHALLENGES,
        _T.CHALLENGE_ENDED: _S.CHALLENGES,
        _T.CHALLENGE_STARTING: _S.CHALLENGES,
        _T.CHALLENGE_JOINED: _S.CHALLENGES,
        _T.CHALLENGE_OVERTAKEN: _S.CHALLENGES,
        _T.CHALLENGE_LEAD: _S.CHALLENGES,
        _T.CHALLENGE_NUDGE: _S.CHALLENGES,
        _T.SUBSCRIPTION: None,
        _T.GENERAL: None,
    }
)

# Subscription and billing notices: they obey ``enabled`` and ``push_notifications`` only.
TRANSACTIONAL_TYPES: Final[frozenset[NotificationType]] = frozenset({_T.SUBSCRIPTION})
