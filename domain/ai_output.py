"""Reading what a language model answered: the JSON object in it, and how many emoji a text holds.

Models wrap JSON in code fences or add a sentence around it; §3.12 reads the outermost object anyway.
"""

from __future__ import annotations

import json
import re
from typing import Any, Final

__all__ = ["emoji_count", "json_object_in"]

_FENCE: Final = re.compile(r"```[a-zA-Z]*")

# Pictographic code points (symbols and pictographs, dingbats, misc symbols, arrows and stars, clocks).
_EMOJI_RANGES: Final = ((0x1F000, 0x1FAFF), (0x2600, 0x27BF), (0x2B00, 0x2BFF), (0x2300, 0x23FF))
_SKIN_TONES: Final = range(0x1F3FB, 0x1F400)
_REGIONAL_INDICATORS: Final = range(0x1F1E6, 0x1F200)


def json_object_in(raw: str) -> dict[str, Any] | None:
    """The outermost JSON object of `raw` (code fences stripped), or None when there is none."""
    text = _FENCE.sub("", raw)
    start, end = text.find("{"), text.rfind("}")
    if start < 0 or end < start:
        return None
    try:
        value = json.loads(text[start : end + 1])
    except ValueError:
        return None
    return value if isinstance(value, dict) else None


def emoji_count(text: str) -> int:
    """How many emoji `text` shows: a skin tone belongs to the emoji before it, a flag is two
    regional indicators; a joined sequence (family, profession) counts each of its parts."""
    pictographs = 0
    indicators = 0
    for character in text:
        point = ord(character)
        if point in _SKIN_TONES:
            continue
        if point in _REGIONAL_INDICATORS:
            indicators += 1
        elif any(low <= point <= high for low, high in _EMOJI_RANGES):
            pictographs += 1
    return pictographs + (indicators + 1) // 2
