"""Nudges and cheers between partners: types, per-day limits, emoji and notice type (§3.5)."""

from enum import StrEnum
from types import MappingProxyType
from typing import Final

from domain.notification_types import NotificationType

__all__ = [
    "DAILY_NUDGE_LIMITS",
    "EMOJI_CHARACTERS",
    "NudgeType",
    "daily_nudge_limit",
    "emoji_character",
    "notification_type_for_nudge",
]


class NudgeType(StrEnum):
    NUDGE = "nudge"
    CHEER = "cheer"
    MILESTONE = "milestone"
    COMPETITIVE = "competitive"
    CUSTOM = "custom"


# Per sender → recipient per sender-local day; a missing type is unlimited. The nudge limit of 1 is
# also enforced by a partial unique index.
DAILY_NUDGE_LIMITS: Final = MappingProxyType(
    {NudgeType.NUDGE: 1, NudgeType.COMPETITIVE: 3, NudgeType.CUSTOM: 5}
)


def daily_nudge_limit(nudge_type: str) -> int | None:
    """How many of ``nudge_type`` one sender may send one recipient per local day (None = unlimited)."""
    return DAILY_NUDGE_LIMITS.get(NudgeType(nudge_type))


EMOJI_CHARACTERS: Final = MappingProxyType(
    {
        "clap": "👏",
        "muscle": "💪",
        "fire": "🔥",
        "target": "🎯",
        "star": "⭐",
        "trophy": "🏆",
        "rocket": "🚀",
        "heart": "❤️",
        "hands_up": "🙌",
        "crown": "👑",
        "wave": "👋",
        "thumbs_up": "👍",
        "sparkles": "✨",
        "lightning": "⚡",
        "checkmark": "✅",
        "medal": "🥇",
        "bicep": "💪",
        "pray": "🙏",
        "eyes": "👀",
        "bell": "🔔",
    }
)


def emoji_character(emoji: str | None) -> str | None:
    """What is stored: a known emoji name becomes its character; any other value is kept as given."""
    if emoji is None:
        return None
    return EMOJI_CHARACTERS.get(emoji, emoji)


def notification_type_for_nudge(nudge_type: str) -> NotificationType:
    """nudge, competitive, custom → partner_nudge; cheer → partner_cheer; milestone → partner_milestone."""
    kind = NudgeType(nudge_type)
    if kind is NudgeType.CHEER:
        return NotificationType.PARTNER_CHEER
    if kind is NudgeType.MILESTONE:
        return NotificationType.PARTNER_MILESTONE
    return NotificationType.PARTNER_NUDGE
