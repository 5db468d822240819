"""Sliding-window counting over a ring of 10 ms buckets (§4.8)."""

from __future__ import annotations

import math

BUCKET_MS = 10


class SlidingWindow:
    """Units admitted during the last `window_ms`, at 10 ms resolution.

    The window is "the current bucket plus the previous n-1", so a client pacing itself with a true
    sliding window of the same length is never refused by this one.
    """

    __slots__ = ("_counts", "_head", "_size", "_total")

    def __init__(self, window_ms: int = 1000) -> None:
        self._size = max(1, window_ms // BUCKET_MS)
        self._counts = [0] * self._size
        self._head: int | None = None
        self._total = 0

    def _roll(self, now_s: float) -> int:
        index = int(now_s * 1000) // BUCKET_MS
        head = self._head
        if head is None or index - head >= self._size:
            if self._total:
                self._counts = [0] * self._size
                self._total = 0
            self._head = index
        elif index > head:
            counts, size = self._counts, self._size
            for i in range(head + 1, index + 1):
                slot = i % size
                self._total -= counts[slot]
                counts[slot] = 0
            self._head = index
        # A clock that steps back (it should not, monotonic time is used) just lands in the head bucket.
        return self._head if self._head is not None else index

    def total(self, now_s: float) -> int:
        self._roll(now_s)
        return self._total

    def add(self, now_s: float, units: int) -> int:
        head = self._roll(now_s)
        self._counts[head % self._size] += units
        self._total += units
        return self._total

    def seconds_until_room(self, now_s: float, units: int, limit: int) -> float:
        """How long until `units` more would fit under `limit` if nothing else arrived."""
        head = self._roll(now_s)
        excess = self._total + units - limit
        if excess <= 0:
            return 0.0
        freed = 0
        for age in range(self._size - 1, -1, -1):
            freed += self._counts[(head - age) % self._size]
            if freed >= excess:
                expires_at_ms = (head - age + self._size) * BUCKET_MS
                return max(0.0, expires_at_ms / 1000 - now_s)
        return math.inf  # units > limit: never fits


class ProjectRateLimiter:
    """One sliding window per project; admission is all-or-nothing per request."""

    def __init__(self, per_second: int, window_ms: int, counts_rejected: bool) -> None:
        self.per_second = per_second
        self.window_ms = window_ms
        self.counts_rejected = counts_rejected
        self._windows: dict[str, SlidingWindow] = {}

    def reconfigure(self, per_second: int, window_ms: int, counts_rejected: bool) -> None:
        if window_ms != self.window_ms:
            self._windows.clear()  # bucket layout changed; starting empty is the only honest option
        self.per_second = per_second
        self.window_ms = window_ms
        self.counts_rejected = counts_rejected

    def _window(self, project: str) -> SlidingWindow:
        window = self._windows.get(project)
        if window is None:
            window = self._windows[project] = SlidingWindow(self.window_ms)
        return window

    def try_admit(self, project: str, units: int, now_s: float) -> bool:
        if self.per_second <= 0:
            return True
        window = self._window(project)
        if window.total(now_s) + units <= self.per_second:
            window.add(now_s, units)
            return True
        if self.counts_rejected:
            window.add(now_s, units)
        return False

    def retry_after_s(self, project: str, units: int, now_s: float) -> int:
        wait = self._window(project).seconds_until_room(now_s, units, self.per_second)
        return 1 if math.isinf(wait) else max(1, math.ceil(wait))
