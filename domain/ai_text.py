"""Checking what a model wrote before a user sees it (§3.12): every AI text goes through these.

Models wrap JSON in code fences, add a sentence around it, quote a one-line answer, or overdo emoji.
`parse_json_object` recovers the object (fences stripped, the outermost `{...}` taken); `clean_text`
tidies one free-text field and refuses it (None) when nothing is left or it has too many emoji. A
refused text means the feature's template, never an error.
"""

from __future__ import annotations

import json
import re
from typing import Any

__all__ = [
    "clean_text",
    "count_emoji",
    "cut_to",
    "outermost_json_object",
    "parse_json_object",
    "strip_code_fences",
]

# ```json\n ... \n``` (any language tag), anywhere in the text; the inside is kept.
_FENCE = re.compile(r"```[A-Za-z0-9_-]*[ \t]*\n?(.*?)\n?[ \t]*```", re.DOTALL)
_SPACES = re.compile(r"\s+")
_QUOTE_PAIRS = (('"', '"'), ("'", "'"), ("\u201c", "\u201d"), ("\u2018", "\u2019"))
ELLIPSIS = "\u2026"

# Code points that draw as emoji (Unicode's Extended_Pictographic blocks, and the regional indicators).
_PICTOGRAPHIC = (
    (0x1F000, 0x1FAFF),  # mahjong … symbols and pictographs extended-A (faces, hands, objects)
    (0x2600, 0x27BF),  # miscellaneous symbols, dingbats (☀, ✅, ❤)
    (0x2300, 0x23FF),  # miscellaneous technical (⌚, ⏰)
    (0x2B00, 0x2BFF),  # arrows and shapes (⭐, ⬆)
    (0x1F1E6, 0x1F1FF),  # regional indicators: a pair is one flag
)
_ZWJ = 0x200D
_REGIONAL = (0x1F1E6, 0x1F1FF)
# Skin tones and variation selectors change an emoji; they are not one of their own.
_MODIFIERS = frozenset({0xFE0E, 0xFE0F, *range(0x1F3FB, 0x1F400), 0x20E3})


def _pictographic(code: int) -> bool:
    return any(low <= code <= high for low, high in _PICTOGRAPHIC)


def count_emoji(text: str) -> int:
    """Emoji as a reader counts them: 👍🏽, 👨‍👩‍👧 (joined) and 🇳🇿 (a flag) are one each."""
    count = 0
    in_emoji = False  # the last base code point drew an emoji (modifiers and joiners keep it so)
    joined = False  # a zero-width joiner follows that emoji: the next pictograph belongs to it
    open_flag = False  # one regional indicator seen, waiting for its pair
    for char in text:
        code = ord(char)
        if code in _MODIFIERS:
            continue
        if code == _ZWJ:
            joined = in_emoji
            continue
        if _REGIONAL[0] <= code <= _REGIONAL[1]:
            count += 0 if open_flag else 1
            open_flag = not open_flag
            in_emoji, joined = True, False
            continue
        open_flag = False
        if _pictographic(code):
            count += 0 if joined else 1
            in_emoji = True
        else:
            in_emoji = False
        joined = False
    return count


def strip_code_fences(text: str) -> str:
    """The inside of the first fenced block if there is one, else the text unchanged."""
    match = _FENCE.search(text)
    return match.group(1) if match else text


def outermost_json_object(text: str) -> str | None:
    """From the first `{` to the last `}`: the object, whatever the model wrote around it."""
    start, end = text.find("{"), text.rfind("}")
    if start == -1 or end < start:
        return None
    return text[start : end + 1]


def parse_json_object(text: str) -> dict[str, Any] | None:
    """The JSON object the model meant, or None (the caller uses its template)."""
    candidate = outermost_json_object(strip_code_fences(text))
    if candidate is None:
        return None
    try:
        value = json.loads(candidate)
    except (ValueError, RecursionError):  # not JSON, or nested past the parser's depth
        return None
    return value if isinstance(value, dict) else None


def cut_to(text: str, max_chars: int) -> str:
    """At most `max_chars` characters; a longer text ends at a word boundary with an ellipsis."""
    if len(text) <= max_chars:
        return text
    head = text[: max_chars - 1]
    # Mid-word: back to the last space, unless that would throw away more than half (a very long word).
    space = head.rfind(" ")
    if not text[max_chars - 1].isspace() and space >= max_chars // 2:
        head = head[:space]
    return head.rstrip(" ,;:-\u2013\u2014") + ELLIPSIS


def _unquote(text: str) -> str:
    for opening, closing in _QUOTE_PAIRS:
        if len(text) >= 2 and text.startswith(opening) and text.endswith(closing):
            return text[len(opening) : -len(closing)].strip()
    return text


def clean_text(text: object, max_chars: int, max_emoji: int) -> str | None:
    """One free-text field ready to show: whitespace collapsed, surrounding quotes dropped, cut to
    `max_chars`. None when it is not a string, is empty, or carries more than `max_emoji` emoji."""
    if not isinstance(text, str):
        return None
    cleaned = _unquote(_SPACES.sub(" ", text).strip())
    if not cleaned or count_emoji(cleaned) > max_emoji:
        return None
    return cut_to(cleaned, max_chars)
