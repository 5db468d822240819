"""The tone of every generated text (users.motivation_style, §3.12).

supportive = a warm friend; tough_love = a direct coach with urgency; calm = mindful, free of
pressure. Stored values outside the list (or none) count as supportive.
"""

from enum import StrEnum
from types import MappingProxyType
from typing import Final

__all__ = ["DEFAULT_NAME", "MotivationStyle", "first_name", "motivation_style_of", "voice_of"]

# What the texts call a user who has no usable name (§3.12).
DEFAULT_NAME = "Champion"


class MotivationStyle(StrEnum):
    SUPPORTIVE = "supportive"
    TOUGH_LOVE = "tough_love"
    CALM = "calm"


# The voice every model prompt writes in (§3.12), the same for reminders, replies and recaps.
_VOICES: Final = MappingProxyType(
    {
        MotivationStyle.SUPPORTIVE: "a warm friend: encouraging, kind, proud of them",
        MotivationStyle.TOUGH_LOVE: "a direct coach with urgency: blunt, no excuses, short sentences",
        MotivationStyle.CALM: "mindful and free of pressure: gentle, unhurried, grounded",
    }
)


def voice_of(value: str | None) -> str:
    """The voice of a stored motivation style (unknown or missing: supportive)."""
    return _VOICES[motivation_style_of(value)]


def motivation_style_of(value: str | None) -> MotivationStyle:
    """The style to write in; unknown or missing values fall back to supportive."""
    try:
        return MotivationStyle(value) if value is not None else MotivationStyle.SUPPORTIVE
    except ValueError:
        return MotivationStyle.SUPPORTIVE


def first_name(display_name: str | None, default: str = DEFAULT_NAME) -> str:
    """How texts address the user: the first word of the display name, or `default` ("Champion")."""
    words = (display_name or "").split()
    return words[0] if words else default
