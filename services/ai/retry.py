"""When to try a model request again, and how long to wait first (pure)."""

from __future__ import annotations

import random
from collections.abc import Mapping

__all__ = ["backoff_seconds", "retry_after_seconds", "retryable_status"]

BACKOFF_BASE_SECONDS = 0.5
BACKOFF_CAP_SECONDS = 8.0


def retryable_status(status: int) -> bool:
    """As OpenAI advises: rate limits, request timeouts, lock conflicts and server errors pass."""
    return status in (408, 409, 429) or status >= 500


def retry_after_seconds(headers: Mapping[str, str]) -> float | None:
    """The server's own wait: OpenAI's `retry-after-ms`, else `Retry-After` in seconds (an HTTP date is
    ignored: the backoff applies instead)."""
    for name, scale in (("retry-after-ms", 0.001), ("retry-after", 1.0)):
        raw = headers.get(name)
        if raw is None:
            continue
        try:
            seconds = float(raw) * scale
        except ValueError:
            continue
        if seconds >= 0:
            return seconds
    return None


def backoff_seconds(attempt: int, rng: random.Random) -> float:
    """After the `attempt`-th failure (1-based): exponential with "equal jitter", half fixed and half
    random, so processes that failed together do not retry together yet none retries at once."""
    ceiling = min(BACKOFF_CAP_SECONDS, BACKOFF_BASE_SECONDS * 2.0 ** (attempt - 1))
    return ceiling / 2 + rng.uniform(0, ceiling / 2)
