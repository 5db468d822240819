"""The sandbox clock: wall time plus an advance offset, optionally frozen (virtual)."""

from __future__ import annotations

import time
from collections.abc import Callable


class SandboxClock:
    """Epoch seconds as the sandbox sees them.

    Receipt visibility, receipt expiry, the duplicate window and outage windows run on this clock,
    so tests can jump 15 minutes or 24 hours ahead. Traffic shaping (the rate limiter, peak rates)
    deliberately does not: it measures what the client really does, in real time.
    """

    def __init__(self, *, virtual: bool = False, wall: Callable[[], float] = time.time) -> None:
        self._wall = wall
        self._offset = 0.0
        self._frozen_at: float | None = wall() if virtual else None

    @property
    def virtual(self) -> bool:
        return self._frozen_at is not None

    @property
    def offset_s(self) -> float:
        return self._offset

    def now(self) -> float:
        base = self._frozen_at if self._frozen_at is not None else self._wall()
        return base + self._offset

    def advance(self, seconds: float) -> float:
        # Time never goes backwards: receipts and dedup windows assume monotonic sandbox time.
        if seconds < 0:
            raise ValueError("seconds must be >= 0")
        self._offset += seconds
        return self.now()

    def set_virtual(self, virtual: bool) -> None:
        if virtual == self.virtual:
            return
        current = self.now()
        if virtual:
            self._frozen_at = current
            self._offset = 0.0
        else:
            # Resume real time from the current virtual instant instead of jumping back to the wall clock.
            self._frozen_at = None
            self._offset = current - self._wall()
