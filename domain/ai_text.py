"""Checks every AI-written text passes before it is shown (§3.12): what counts as an emoji or a hashtag.

The model is asked to follow each text's rules; these functions verify that it did, so a text that
breaks them falls back to the template instead of reaching a user.
"""

import re
from typing import Final

__all__ = ["emoji_count", "has_hashtag", "plain_text"]

# Code points drawn as emoji: pictographs, emoticons, transport, supplemental symbols, regional
# indicators (a flag counts as two), and the older symbol and dingbat blocks (☀, ✨, ❤, ⭐, ⏰).
_EMOJI_RANGES: Final = (
    (0x1F000, 0x1FAFF),
    (0x2600, 0x27BF),
    (0x2B00, 0x2BFF),
    (0x2300, 0x23FF),
)
# Joiners, variation selectors and skin-tone modifiers shape the emoji before them; they are not
# emoji of their own.
_MODIFIERS: Final = frozenset({0x200D, 0xFE0E, 0xFE0F, *range(0x1F3FB, 0x1F400)})

_HASHTAG: Final = re.compile(r"#\w")
_QUOTE_PAIRS: Final = frozenset({('"', '"'), ("'", "'"), ("“", "”")})


def _is_emoji(code_point: int) -> bool:
    return code_point not in _MODIFIERS and any(low <= code_point <= high for low, high in _EMOJI_RANGES)


def emoji_count(text: str) -> int:
    """How many emoji `text` holds (a joined sequence counts once per pictograph in it)."""
    return sum(1 for character in text if _is_emoji(ord(character)))


def has_hashtag(text: str) -> bool:
    return _HASHTAG.search(text) is not None


def plain_text(text: str) -> str:
    """The model's text as it would be shown: surrounding blanks and one pair of wrapping quotes cut,
    runs of whitespace (line breaks included) made one space."""
    cut = text.strip()
    if len(cut) >= 2 and (cut[0], cut[-1]) in _QUOTE_PAIRS:
        cut = cut[1:-1]
    return " ".join(cut.split())
