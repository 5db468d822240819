"""Checking model output (domain/ai_text.py): plain unit tests."""

from __future__ import annotations

import pytest

from domain.ai_text import (
    ELLIPSIS,
    clean_text,
    count_emoji,
    cut_to,
    outermost_json_object,
    parse_json_object,
    strip_code_fences,
)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("no emoji here", 0),
        ("Go 💪 go 🔥", 2),
        ("👍🏽", 1),  # with a skin tone
        ("❤️", 1),  # with the emoji variation selector
        ("👨\u200d👩\u200d👧", 1),  # a joined family
        ("🇳🇿🇯🇵", 2),  # two flags
        ("⏰ 5 km ✅", 2),
        ("a\u200d💪", 1),  # a joiner after a letter joins nothing
    ],
)
def test_count_emoji(text: str, expected: int) -> None:
    assert count_emoji(text) == expected


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ('```json\n{"a": 1}\n```', '{"a": 1}'),
        ('Here:\n```\n{"a": 1}\n```\nDone.', '{"a": 1}'),
        ('{"a": 1}', '{"a": 1}'),
    ],
)
def test_strip_code_fences(text: str, expected: str) -> None:
    assert strip_code_fences(text) == expected


def test_outermost_json_object_spans_nested_objects() -> None:
    text = 'Sure! {"a": {"b": 1}, "c": 2} Hope it helps.'

    assert outermost_json_object(text) == '{"a": {"b": 1}, "c": 2}'
    assert outermost_json_object("no object") is None
    assert outermost_json_object("} backwards {") is None


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ('{"title": "Run", "body": "Go"}', {"title": "Run", "body": "Go"}),
        ('```json\n{"title": "Run"}\n```', {"title": "Run"}),
        ('Here you go: {"title": "Run"} 🙂', {"title": "Run"}),
        ("Sure! Here is your text: {not json", None),
        ("[1, 2]", None),
        ("", None),
        ('{"title": "Run",}', None),
        ('{"a": ' + "[" * 100_000 + "]" * 100_000 + "}", None),  # nested past the parser's depth
    ],
)
def test_parse_json_object(text: str, expected: dict[str, str] | None) -> None:
    assert parse_json_object(text) == expected


def test_cut_to_keeps_short_texts_and_cuts_long_ones_at_a_word() -> None:
    assert cut_to("short", 10) == "short"
    assert cut_to("exactly10!", 10) == "exactly10!"

    cut = cut_to("Keep going, Ada, one step at a time", 20)

    assert len(cut) <= 20
    assert cut == "Keep going, Ada" + ELLIPSIS
    assert cut_to("Keep going, Ada, one step", 21) == "Keep going, Ada, one" + ELLIPSIS
    assert cut_to("a" * 30, 10) == "a" * 9 + ELLIPSIS


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("  Keep   going,\n Ada  ", "Keep going, Ada"),
        ('"Keep going, Ada"', "Keep going, Ada"),
        ("\u201cKeep going\u201d", "Keep going"),
        ("Go 💪🔥", "Go 💪🔥"),
        ("Go 💪🔥🎉", None),  # three emoji, two allowed
        ("   ", None),
        ('""', None),
        (None, None),
        (42, None),
    ],
)
def test_clean_text(text: object, expected: str | None) -> None:
    assert clean_text(text, max_chars=50, max_emoji=2) == expected


def test_clean_text_cuts_to_the_limit() -> None:
    text = clean_text("word " * 40, max_chars=50, max_emoji=0)

    assert text is not None
    assert len(text) <= 50
    assert text.endswith(ELLIPSIS)
