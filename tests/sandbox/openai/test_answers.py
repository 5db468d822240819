"""What the stub writes (sandbox/openai/answers.py): plain unit tests."""

from __future__ import annotations

import json

import pytest

from domain.ai_text import count_emoji
from sandbox.openai.answers import Filler, first_json_example, json_answer, plain_answer


@pytest.mark.parametrize(
    ("placeholder", "words"),
    [("<4-6 words naming the goal>", 6), ("<15-20 words using the name>", 20), ("<a short reply>", 12)],
)
def test_a_placeholder_is_filled_with_its_upper_bound_of_words(placeholder: str, words: int) -> None:
    text = Filler().placeholder(placeholder)

    assert len(text.split()) == words
    assert count_emoji(text) == 0


def test_a_placeholder_counting_characters_stays_under_them() -> None:
    filler = Filler()

    for limit in (20, 50, 120):
        text = filler.placeholder(f"<one sentence under {limit} characters>")
        assert 0 < len(text) <= limit


def test_the_first_json_example_wins_and_non_placeholders_are_kept() -> None:
    texts = [
        'Write nothing but {"title": "<4-6 words>", "tone": "warm", "score": 3, "tags": ["a", "b"]}.',
        'Not this one: {"other": "<x>"}',
    ]

    answer = json.loads(json_answer(texts, Filler()))

    assert set(answer) == {"title", "tone", "score", "tags"}
    assert (answer["tone"], answer["score"], answer["tags"]) == ("warm", 3, ["a", "b"])
    assert len(answer["title"].split()) == 6


def test_placeholders_inside_arrays_and_nested_objects_are_filled() -> None:
    answer = json.loads(
        json_answer(['{"tips": ["<tip one>", "<tip two>"], "x": {"y": "<3 words>"}}'], Filler())
    )

    assert all(not tip.startswith("<") for tip in answer["tips"])
    assert len(answer["x"]["y"].split()) == 3


def test_text_that_only_looks_like_braces_is_skipped() -> None:
    assert first_json_example(['Hello {name}, then {"a": 1}']) == {"a": 1}
    assert first_json_example(["no example"]) is None


def test_a_json_prompt_without_an_example_still_gets_an_object() -> None:
    answer = json.loads(json_answer(["Answer in JSON."], Filler()))

    assert list(answer) == ["text"]


def test_plain_answers_are_about_twenty_words_without_emoji_and_vary() -> None:
    filler = Filler()
    first, second = plain_answer(filler), plain_answer(filler)

    assert len(first.split()) == 20
    assert count_emoji(first) == 0
    assert first != second
