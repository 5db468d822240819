"""A per-process memory of which users were noted active recently (the first activity gate)."""

from __future__ import annotations

import time
from datetime import timedelta
from uuid import UUID

# Expired entries are swept once the memory holds this many users (then twice what survived), so it
# stays bounded by the users active within one interval and a sweep's cost is amortised over inserts.
_FIRST_SWEEP_AT = 50_000


class RecentlyActive:
    """Which users this process has already noted within the interval (monotonic deadlines)."""

    def __init__(self, interval: timedelta) -> None:
        self._interval_seconds = interval.total_seconds()
        self._noted_until: dict[UUID, float] = {}
        self._sweep_at = _FIRST_SWEEP_AT

    def claim(self, user_id: UUID) -> bool:
        """True when the user is due for a note; the claim is taken before any await so concurrent
        requests of one user do not all go on to the database."""
        now = time.monotonic()
        if self._noted_until.get(user_id, 0.0) > now:
            return False
        if len(self._noted_until) >= self._sweep_at:
            self._noted_until = {user: until for user, until in self._noted_until.items() if until > now}
            self._sweep_at = max(_FIRST_SWEEP_AT, 2 * len(self._noted_until))
        self._noted_until[user_id] = now + self._interval_seconds
        return True
