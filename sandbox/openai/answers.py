"""What the stub answers: filler text, or the prompt's own JSON example with its placeholders filled.

A feature's prompt shows the model its output as a JSON example whose free-text values are `"<...>"`
placeholders (`{"title": "<4-6 words naming the goal>", "tone": "warm"}`). In JSON mode the stub
answers with the first such example in the messages, each placeholder replaced by filler of the length
it names, so a feature's parsing and validation run against the shape it asked for.
"""

from __future__ import annotations

import itertools
import json
import re
from typing import Any

# Plain words only: no emoji, no quotes, nothing a feature's validation should have to strip.
_TEXT = (
    "keep showing up today and let every small step build the steady habit you want so your "
    "effort adds up one day at a time while you stay kind to yourself and proud of the progress "
    "you make each week with patience focus and a clear plan for the next move"
)
_WORDS = _TEXT.split(" ")
PLAIN_WORDS = 20
DEFAULT_PLACEHOLDER_WORDS = 12
NO_EXAMPLE_KEY = "text"
MALFORMED_CONTENT = "Sure! Here is your text: {not json"
_NUMBER = re.compile(r"\d+")
_decoder = json.JSONDecoder()


class Filler:
    """Filler phrases that differ from one answer to the next (rotating through the word list)."""

    def __init__(self) -> None:
        self._starts = itertools.cycle(range(len(_WORDS)))

    def words(self, count: int) -> str:
        start = next(self._starts)
        picked = [_WORDS[(start + i) % len(_WORDS)] for i in range(max(1, count))]
        return " ".join(picked).capitalize() + "."

    def chars(self, limit: int) -> str:
        """The longest filler of whole words that fits in `limit` characters (period included)."""
        text = self.words(len(_WORDS))
        if len(text) <= limit:
            return text
        cut = text[: max(1, limit - 1)].rsplit(" ", 1)[0]
        return cut + "."

    def placeholder(self, placeholder: str) -> str:
        """`<4-6 words ...>` → 6 words; `<under 120 characters>` → at most 120 characters; else 12 words."""
        numbers = [int(n) for n in _NUMBER.findall(placeholder)]
        if not numbers:
            return self.words(DEFAULT_PLACEHOLDER_WORDS)
        if "char" in placeholder.lower():
            return self.chars(max(numbers))
        return self.words(max(numbers))


def first_json_example(texts: list[str]) -> dict[str, Any] | None:
    """The first JSON object written out in `texts` (searched in order), or None."""
    for text in texts:
        start = text.find("{")
        while start != -1:
            try:
                value, _end = _decoder.raw_decode(text, start)
            except json.JSONDecodeError:
                value = None
            if isinstance(value, dict):
                return value
            start = text.find("{", start + 1)
    return None


def is_placeholder(value: object) -> bool:
    return isinstance(value, str) and len(value) >= 2 and value.startswith("<") and value.endswith(">")


def fill(value: Any, filler: Filler) -> Any:
    if is_placeholder(value):
        return filler.placeholder(value)
    if isinstance(value, dict):
        return {key: fill(item, filler) for key, item in value.items()}
    if isinstance(value, list):
        return [fill(item, filler) for item in value]
    return value


def json_answer(texts: list[str], filler: Filler) -> str:
    example = first_json_example(texts)
    if example is None:
        # Decision: a JSON-mode prompt without an example still gets one JSON object.
        example = {NO_EXAMPLE_KEY: "<text>"}
    return json.dumps(fill(example, filler))


def plain_answer(filler: Filler) -> str:
    return filler.words(PLAIN_WORDS)


def estimate_tokens(text: str) -> int:
    """About four characters a token, as OpenAI's rule of thumb; at least one for a non-empty text."""
    return (len(text) + 3) // 4
