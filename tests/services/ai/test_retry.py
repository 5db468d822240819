"""When the model client tries again and how long it waits (services/ai/retry.py): unit tests."""

from __future__ import annotations

import random

import pytest

from services.ai.retry import BACKOFF_CAP_SECONDS, backoff_seconds, retry_after_seconds, retryable_status


@pytest.mark.parametrize(
    ("status", "retryable"),
    [(429, True), (500, True), (503, True), (408, True), (400, False), (401, False), (404, False)],
)
def test_retryable_statuses(status: int, retryable: bool) -> None:
    assert retryable_status(status) is retryable


@pytest.mark.parametrize(
    ("headers", "seconds"),
    [
        ({"retry-after": "2"}, 2.0),
        ({"retry-after": "0.5"}, 0.5),
        ({"retry-after-ms": "1500", "retry-after": "9"}, 1.5),  # OpenAI's finer header wins
        ({"retry-after": "Wed, 21 Oct 2026 07:28:00 GMT"}, None),
        ({"retry-after": "-1"}, None),
        ({}, None),
    ],
)
def test_retry_after_seconds(headers: dict[str, str], seconds: float | None) -> None:
    assert retry_after_seconds(headers) == seconds


def test_backoff_doubles_with_half_of_it_random_and_is_capped() -> None:
    rng = random.Random(7)
    for attempt, ceiling in ((1, 0.5), (2, 1.0), (3, 2.0), (10, BACKOFF_CAP_SECONDS)):
        waits = [backoff_seconds(attempt, rng) for _ in range(200)]
        assert all(ceiling / 2 <= wait <= ceiling for wait in waits)
        assert len(set(waits)) > 1
