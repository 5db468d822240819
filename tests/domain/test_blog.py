"""Blog rules: slugs from titles, reading time, the first publication instant."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from domain.blog import published_at_after, reading_time_minutes, slug_from


@pytest.mark.parametrize(
    ("title", "slug"),
    [("10 Habits That Stick!", "10-habits-that-stick"), ("  Café  crème ", "cafe-creme"), ("???", "")],
)
def test_slug_from_a_title(title: str, slug: str) -> None:
    assert slug_from(title) == slug


@pytest.mark.parametrize(("words", "minutes"), [(0, 1), (99, 1), (301, 2), (1000, 5)])
def test_reading_time_rounds_words_at_200_a_minute_and_is_at_least_one(words: int, minutes: int) -> None:
    assert reading_time_minutes(" ".join(["word"] * words)) == minutes


def test_publishing_stamps_the_first_publication_only() -> None:
    first = datetime(2026, 1, 1, tzinfo=UTC)
    now = datetime(2026, 2, 1, tzinfo=UTC)
    assert published_at_after("published", None, now) == now
    assert published_at_after("published", first, now) == first
    assert published_at_after("draft", None, now) is None
