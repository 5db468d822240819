"""Reading a language model's answer (§3.12): the JSON object it was asked for, and its emoji count.

A model asked for JSON sometimes wraps it in a Markdown code fence or a sentence; the object is taken
from the first "{" to the last "}". Anything that is not one JSON object is no answer: the feature
then uses its template.
"""

from __future__ import annotations

import json
from typing import Any, Final

__all__ = ["emoji_count", "json_object_in"]

# Pictographic blocks (emoji proper, dingbats, miscellaneous symbols); joiners and variation selectors
# are not counted, so a composed emoji counts once per pictograph.
_EMOJI_RANGES: Final = ((0x1F000, 0x1FAFF), (0x2600, 0x27BF), (0x2B00, 0x2BFF), (0x2300, 0x23FF))


def json_object_in(text: str | None) -> dict[str, Any] | None:
    """The outermost JSON object in `text` (code fences and surrounding prose ignored), or None."""
    if not text:
        return None
    start, end = text.find("{"), text.rfind("}")
    if start < 0 or end < start:
        return None
    try:
        value = json.loads(text[start : end + 1])
    except (ValueError, RecursionError):  # not JSON, or nested past the parser's depth
        return None
    return value if isinstance(value, dict) else None


def emoji_count(text: str) -> int:
    return sum(any(low <= ord(char) <= high for low, high in _EMOJI_RANGES) for char in text)
