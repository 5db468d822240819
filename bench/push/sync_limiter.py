"""The push limiter on a blocking Redis client, for the limiter's senders (bench/push/limiter_senders.py).

No worker uses it: the push actors are async. The senders run it beside the async limiter because a
thread's `time.sleep` wakes sooner than an event loop's timer, which is the race the retry jitter of
workers/push/limiter.py exists for; mixing both kinds of waiter on one key checks that neither starves
and that together they stay within the budget.
"""

from __future__ import annotations

import secrets
import time

import redis

from workers.push.limiter import (
    ACQUIRE_LUA,
    DEFAULT_BUDGET_PER_SECOND,
    DEFAULT_PACING_TOLERANCE_SECONDS,
    DEFAULT_SAFETY_MARGIN_SECONDS,
    GRANT_TOKEN_BYTES,
    Grant,
    SlidingWindowPolicy,
)


class SyncSlidingWindowLimiter(SlidingWindowPolicy):
    """The same limiter as workers.push.limiter.SlidingWindowLimiter (same script, same keys), blocking."""

    def __init__(
        self,
        client: redis.Redis,
        key: str,
        budget_per_second: int = DEFAULT_BUDGET_PER_SECOND,
        safety_margin: float = DEFAULT_SAFETY_MARGIN_SECONDS,
        pacing_tolerance: float = DEFAULT_PACING_TOLERANCE_SECONDS,
    ) -> None:
        super().__init__(key, budget_per_second, safety_margin, pacing_tolerance)
        self._script = client.register_script(ACQUIRE_LUA)

    def acquire(self, n: int = 1, *, max_wait: float | None = None) -> Grant:
        """Block until ``n`` permits are granted; raise PermitWaitTimeout once max_wait can't be met."""
        self._check_request(n, max_wait)
        if self.unlimited:
            return Grant(n=n, granted_at_us=None, waited=0.0)
        started = time.monotonic()
        token = secrets.token_hex(GRANT_TOKEN_BYTES)
        attempts = 0
        while True:
            reply = self._script(keys=[self.key], args=self._script_args(n, token))
            attempts += 1
            outcome = self._give_up_or_wait(n, reply, started, max_wait, attempts)
            if isinstance(outcome, Grant):
                return outcome
            time.sleep(outcome)
