"""Seeded fault injection and outage windows (§4.9)."""

from __future__ import annotations

import random

_5XX_STATUSES = (502, 503, 500)


class FaultInjector:
    def __init__(self, seed: int) -> None:
        self._rng = random.Random(seed)

    def reseed(self, seed: int) -> None:
        self._rng = random.Random(seed)

    def roll(self, rate: float) -> bool:
        # No draw when the knob is off, so enabling one fault does not shift another's sequence.
        return rate > 0 and self._rng.random() < rate

    def pick_5xx(self) -> tuple[int, bool]:
        """(status, html_body)"""
        return self._rng.choice(_5XX_STATUSES), self._rng.random() < 0.5

    def latency_s(self, latency_ms: float, jitter_ms: float) -> float:
        if latency_ms <= 0 and jitter_ms <= 0:
            return 0.0
        jitter = self._rng.uniform(0, jitter_ms) if jitter_ms > 0 else 0.0
        return (latency_ms + jitter) / 1000


class OutageWindow:
    def __init__(self) -> None:
        self.until = 0.0
        self.status = 503
        # Expo documents no Retry-After; a proxy or load balancer in front of it may send one.
        self.retry_after_s: int | None = None

    def start(self, now: float, seconds: float, status: int, retry_after_s: int | None = None) -> None:
        self.until = now + seconds
        self.status = status
        self.retry_after_s = retry_after_s

    def active(self, now: float) -> bool:
        return now < self.until
