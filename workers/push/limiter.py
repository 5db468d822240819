"""Global sliding-window limiter for Expo pushes, shared by every worker process through Redis.

Expo admits at most 600 notifications per *sliding* second per project (docs/push-contract.md §1.7, §1.8,
§4.8). Dramatiq's built-in limiters count per calendar second (up to 2x the limit in a sliding
second) and raise instead of waiting, so pushes use this limiter instead.

How it works: one sorted set per Expo project holds every grant of the last window (score = grant
time in µs from Redis ``TIME``, moved later when the grant is settled; member =
``"<n>:<pacing schedule>:<grant time>:<random token>"``). A Lua script, atomic in Redis, grants ``n``
permits only if

* the permits counted in the last ``window`` plus ``n`` stay within the budget, where
  ``window = 1 s + safety margin``, and
* the pacing schedule allows it: each grant of ``m`` permits moves the schedule ``m / budget``
  seconds on (GCRA), so grants are spread evenly instead of leaving in bursts at the start of each
  window; a grant may come a small tolerance ahead of the schedule so late wake-ups are not
  compounded.

Otherwise it grants nothing and returns how long to wait before a retry can succeed; the caller
sleeps that long and asks again. Redis ``TIME`` is the only clock, so workers on different hosts
never disagree about the window (Redis 7 replicates script effects, so ``TIME`` in a script is fine).

Settling: once the request is answered, the caller settles its grant (``settle``): the grant then
counts from the answer, less the fastest grant-to-answer time the process has seen so far,
instead of from the grant. The receiver counted the request somewhere between the two; a request
that left or was counted late (a busy event loop or CPU on either side) would otherwise still be in
the receiver's window when the grant one window after ours arrives on time — a 429 that no fixed
margin short of the worst delay prevents (a 15 ms margin still drew one in half the runs; the
worst delay measured on the shared 2-core box was 26 ms). Settled, a late request holds the next
grants back by exactly its lateness: jitter costs a few ms of throughput instead of a rejected batch.

Guarantee: for grants as timestamped by Redis, every half-open interval of length ``window``
contains at most ``budget`` permits (settling only moves grants later, so it only holds later
grants back). The receiver sees at most ``budget`` per sliding second unless one request's way
from its grant to the receiver plus an earlier one's way back from it to its settle is shorter,
by more than the margin, than the fastest whole round trip the process has seen. Long-run throughput is
at most ``budget / (window + mean lateness)`` (99.5 % of the budget with the default margin before
lateness; BENCHMARKS.md "At the cap" has the measured figures) and reaches it with full batches.
A request waits whole, like Expo's own check, so odd-sized batches
can leave room unused for up to a window (a window holding 5 x 100 + 37 leaves 63 idle while the
next 100 waits for a 100 to leave); senders that mostly fill batches of 100 keep that loss small.
"""

from __future__ import annotations

import asyncio
import random
import secrets
import time
from dataclasses import dataclass
from typing import Any

import redis
import redis.asyncio

from settings import DEFAULT_EXPO_RATE_LIMIT_MARGIN_MS

# Expo's documented cap per project (docs/push-contract.md §1.7 item 4); the setting below overrides it.
DEFAULT_BUDGET_PER_SECOND = 600


# Expo (and the sandbox) count notifications per sliding second.
RECEIVER_WINDOW_SECONDS = 1.0

# Added to the receiver's window (EXPO_RATE_LIMIT_MARGIN_MS). Why 5 ms: settling (see the module's
# docstring) already holds the next grants back by each request's lateness, so the margin only covers
# what settling cannot see: a request that travels faster than the fastest recent one, and a receiver
# that counts a little more than a true second. The sandbox's 10 ms buckets count at most a true
# second (docs/push-contract.md §4.8, sandbox/expo/rate_window.py), and so does Expo's documented
# "per second"; a receiver whose bucketed second could span 1.01 s needs 10 ms (ceiling 0.990). The
# cost is throughput: the ceiling is 1 / 1.005 = 99.5 % of the budget before lateness. The 15 ms of
# before settling (ceiling 98.5 %) still drew a 429 in half the runs: lateness of 15-26 ms on a busy
# 2-core box (BENCHMARKS.md "At the cap").
DEFAULT_SAFETY_MARGIN_SECONDS = DEFAULT_EXPO_RATE_LIMIT_MARGIN_MS / 1000

# How far a grant may come ahead of the even pacing schedule (GCRA's tolerance). With none, every
# late wake-up (ms-rounded event-loop timers, scheduler latency on a busy host) pushes all later
# grants back too, since pacing at exactly the budget leaves no room to catch up: with two CPU hogs on
# 2 cores, full batches fell to 0.95 x budget; 10 ms gave 0.97-0.98, 20-30 ms 0.98. The price is a
# burst above even pacing of at most tolerance x budget permits (12 at 600/s: two batches of 100 are
# still >= 147 ms apart); the window limit itself does not depend on it.
DEFAULT_PACING_TOLERANCE_SECONDS = 0.020

# Extra random sleep before a retry, divided by the number of attempts so far. Without it, waiters
# released at the same instant race and the process that wakes fastest (e.g. a thread's time.sleep
# beats an event loop's ~1 ms overshoot) wins every time, starving the others (measured: 2 grants
# against 21 over 3 s). The jitter makes the race a lottery and the division favours the callers that
# have already lost the most; the winner, the earliest of several draws, is late by a fraction of it.
RETRY_JITTER_SECONDS = 0.004

# One sorted set per Expo project lives under this prefix.
KEY_PREFIX = "fitnudge:push:limiter:"

# Random bytes per grant in the sorted-set member, so two grants of the same size in the same
# microsecond stay two members (a sorted set would silently merge identical members).
GRANT_TOKEN_BYTES = 8

_MICROS = 1_000_000

# KEYS[1]: sorted set of grants; score = grant time in µs (later once settled), member =
# "<n>:<schedule_us>:<granted_us>:<token>" where schedule_us is the pacing schedule after that grant
# (see below) and granted_us the grant time, kept when a settle moves the score.
# ARGV: n, budget, window in µs, pacing tolerance in µs, token.
# Returns {1, 0, now_us, member} when granted, {0, wait_us, now_us} when the caller must wait wait_us.
# Numbers are formatted with %d before being handed to Redis: Redis' Lua converts numbers to strings
# with 14 significant digits, which would round a µs timestamp (16 digits).
ACQUIRE_LUA = """
local key = KEYS[1]
local n = tonumber(ARGV[1])
local budget = tonumber(ARGV[2])
local window = tonumber(ARGV[3])
local tolerance = tonumber(ARGV[4])

local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000000 + tonumber(t[2])

-- Grants with score <= now - window have left the window (it is (now - window, now]).
redis.call('ZREMRANGEBYSCORE', key, '-inf', string.format('%d', now - window))
local grants = redis.call('ZRANGE', key, 0, -1, 'WITHSCORES')

-- A grant newer than now + window means Redis' clock stepped back by more than a window. Keeping
-- that state would block every sender for the size of the step, so start afresh instead.
if #grants > 0 and tonumber(grants[#grants]) > now + window then
  redis.call('DEL', key)
  grants = {}
end

local sizes = {}
local used = 0
local schedule = 0
for i = 1, #grants, 2 do
  local size, after = string.match(grants[i], '^(%d+):(%d+):')
  sizes[#sizes + 1] = tonumber(size)
  used = used + tonumber(size)
  schedule = math.max(schedule, tonumber(after))
end

local wait = 0
-- Pacing (GCRA): each grant of m permits moves the schedule m / budget seconds on, so grants leave
-- evenly spread at no more than the budget's pace instead of in a burst at each window's start.
-- A grant may come up to `tolerance` ahead of the schedule, so one caller that woke late does not
-- push back every grant after it. An empty key forgets the schedule safely: it was at most
-- tolerance + 1 s past the newest grant, i.e. no later than that grant's exit from the window.
if schedule - tolerance > now then
  wait = schedule - tolerance - now
end

-- Window: if n does not fit, wait until the oldest grants that free enough permits have left it.
if used + n > budget then
  local missing = used + n - budget
  local freed = 0
  for i = 1, #sizes do
    freed = freed + sizes[i]
    if freed >= missing then
      local leaves_at = tonumber(grants[2 * i]) + window
      if leaves_at - now > wait then
        wait = leaves_at - now
      end
      break
    end
  end
end

if wait > 0 then
  return {0, wait, now}
end

schedule = math.max(schedule, now) + math.ceil(n * 1000000 / budget)
local member = string.format('%d:%d:%d:%s', n, schedule, now, ARGV[5])
redis.call('ZADD', key, string.format('%d', now), member)
-- Every member is out of the window one window after the newest grant, so an idle key may vanish
-- then; +1 ms for the ms rounding of expiries.
redis.call('PEXPIRE', key, string.format('%d', math.ceil(window / 1000) + 1))
return {1, 0, now, member}
"""

# KEYS[1]: sorted set of grants. ARGV: the grant's member, back-dating in µs, window in µs.
# Moves the grant's time on to (now - back-dating) when that is later; never earlier.
# Returns {µs moved (0: not moved, or the grant has already left the window), now_us}.
SETTLE_LUA = """
local key = KEYS[1]
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000000 + tonumber(t[2])
local score = redis.call('ZSCORE', key, ARGV[1])
if not score then
  return {0, now}
end
local at = now - tonumber(ARGV[2])
score = tonumber(score)
if at <= score then
  return {0, now}
end
redis.call('ZADD', key, 'XX', string.format('%d', at), ARGV[1])
-- The key must outlive the moved grant by a window; at <= now, so a window from now is enough, and
-- never shorter than the expiry the last grant set.
redis.call('PEXPIRE', key, string.format('%d', math.ceil(tonumber(ARGV[3]) / 1000) + 1))
return {at - score, now}
"""


class PermitWaitTimeout(TimeoutError):
    """The permits could not be granted within the caller's ``max_wait``."""

    def __init__(self, key: str, n: int, max_wait: float, waited: float, retry_after: float) -> None:
        super().__init__(
            f"limiter {key!r}: {n} permits not available within max_wait={max_wait:.3f}s "
            f"(waited {waited:.3f}s, next chance in {retry_after:.3f}s)"
        )
        self.key = key
        self.n = n
        self.max_wait = max_wait
        self.waited = waited
        self.retry_after = retry_after


@dataclass(frozen=True, slots=True)
class Grant:
    """Permits granted by a limiter."""

    n: int
    # Redis TIME of the grant in µs since the epoch; None in unlimited mode (Redis is not asked).
    granted_at_us: int | None
    # Seconds spent inside acquire(), for metrics.
    waited: float
    # The grant's member in the sorted set, for settle(); None in unlimited mode.
    member: str | None = None


def project_key(project: str) -> str:
    """The Redis key of the limiter for one Expo project (Expo's limit is per project)."""
    return KEY_PREFIX + project


class SlidingWindowPolicy:
    """Parameters, validation and reply decoding of a limiter, whatever its Redis client.

    The workers use the async limiter below; the benchmarks' sync one (bench/push/sync_limiter.py)
    runs the same script on the same keys, to check that waiters of both kinds share one budget.
    """

    def __init__(
        self, key: str, budget_per_second: int, safety_margin: float, pacing_tolerance: float
    ) -> None:
        if not key:
            raise ValueError("key must not be empty")
        if not 0 <= safety_margin < RECEIVER_WINDOW_SECONDS:
            raise ValueError(f"safety_margin must be in [0, 1) seconds, got {safety_margin}")
        if not 0 <= pacing_tolerance < RECEIVER_WINDOW_SECONDS:
            raise ValueError(f"pacing_tolerance must be in [0, 1) seconds, got {pacing_tolerance}")
        self.key = key
        self.budget_per_second = budget_per_second
        self.safety_margin = safety_margin
        self.pacing_tolerance = pacing_tolerance
        self.window_us = round((RECEIVER_WINDOW_SECONDS + safety_margin) * _MICROS)
        self.pacing_tolerance_us = round(pacing_tolerance * _MICROS)

    @property
    def unlimited(self) -> bool:
        return self.budget_per_second <= 0

    def _check_request(self, n: int, max_wait: float | None) -> None:
        if n < 1:
            raise ValueError(f"n must be a positive number of permits, got {n}")
        # A request larger than the budget could never be granted: fail instead of waiting forever.
        if not self.unlimited and n > self.budget_per_second:
            raise ValueError(f"n={n} exceeds the budget of {self.budget_per_second} per second")
        if max_wait is not None and max_wait < 0:
            raise ValueError(f"max_wait must be >= 0, got {max_wait}")

    def _script_args(self, n: int, token: str) -> list[int | str]:
        return [n, self.budget_per_second, self.window_us, self.pacing_tolerance_us, token]

    def _give_up_or_wait(
        self, n: int, reply: Any, started: float, max_wait: float | None, attempts: int
    ) -> Grant | float:
        """The grant, or the seconds to sleep before retrying; raises if that would pass max_wait.

        ``attempts`` counts the script calls of this acquire() so far, this one included.
        """
        granted, wait_us, now_us = (int(value) for value in reply[:3])
        waited = time.monotonic() - started
        if granted:
            member = reply[3].decode() if isinstance(reply[3], bytes) else str(reply[3])
            return Grant(n=n, granted_at_us=now_us, waited=waited, member=member)
        wait = wait_us / _MICROS
        # The wait is a lower bound (grants only leave the window on schedule; others may take the
        # freed permits first), so a wait past the deadline can fail now instead of at the deadline.
        if max_wait is not None and waited + wait > max_wait:
            raise PermitWaitTimeout(self.key, n, max_wait, waited, wait)
        sleep = wait + RETRY_JITTER_SECONDS * random.random() / attempts
        return sleep if max_wait is None else min(sleep, max_wait - waited)


class SlidingWindowLimiter(SlidingWindowPolicy):
    """Async limiter for async actors: ``await limiter.acquire(100)`` before each Expo request."""

    def __init__(
        self,
        client: redis.asyncio.Redis,
        key: str,
        budget_per_second: int = DEFAULT_BUDGET_PER_SECOND,
        safety_margin: float = DEFAULT_SAFETY_MARGIN_SECONDS,
        pacing_tolerance: float = DEFAULT_PACING_TOLERANCE_SECONDS,
    ) -> None:
        super().__init__(key, budget_per_second, safety_margin, pacing_tolerance)
        # register_script only hashes the text; the script is sent to Redis on the first NOSCRIPT.
        self._script = client.register_script(ACQUIRE_LUA)
        self._settle_script = client.register_script(SETTLE_LUA)
        # The fastest grant-to-answer time (µs) of this process so far: the part of every request's
        # delay that all share (Redis, the network, the receiver's work), not lateness. Never
        # forgotten: were the network to slow down for good, an old minimum only back-dates less
        # (fewer permits, never a 429); the minimum of the last few requests measured on a busy box
        # was higher than a fast request's path and let one 429 through.
        self._fastest_answer_us: int | None = None

    async def acquire(self, n: int = 1, *, max_wait: float | None = None) -> Grant:
        """Wait until ``n`` permits are granted; raise PermitWaitTimeout once max_wait can't be met."""
        self._check_request(n, max_wait)
        if self.unlimited:
            return Grant(n=n, granted_at_us=None, waited=0.0)
        started = time.monotonic()
        # One token per request: a denied attempt adds no member, so its retries can reuse it.
        token = secrets.token_hex(GRANT_TOKEN_BYTES)
        attempts = 0
        while True:
            reply = await self._script(keys=[self.key], args=self._script_args(n, token))
            attempts += 1
            outcome = self._give_up_or_wait(n, reply, started, max_wait, attempts)
            if isinstance(outcome, Grant):
                return outcome
            await asyncio.sleep(outcome)

    async def settle(self, grant: Grant) -> None:
        """Call once the request of ``grant`` was answered (or failed): the grant counts from then on,
        less this process's fastest grant-to-answer time, instead of from its grant.

        The receiver counted the request somewhere between our grant and its answer. A request that
        left or arrived late (a busy event loop or CPU, a slow receiver) would otherwise still sit in
        the receiver's window when the grant one window after ours arrives on time: a 429 that no fixed
        margin short of the worst delay prevents. Moved to its answer, the grant holds the next ones
        back by exactly the delay this request had beyond the fastest one. The grant only moves later
        (fewer permits for the next callers), so the budget by grant times still holds; the first
        request of a process, without a fastest time yet, moves by its whole delay."""
        if grant.member is None or grant.granted_at_us is None:
            return
        fastest = self._fastest_answer_us or 0
        _, now_us = await self._settle_script(keys=[self.key], args=[grant.member, fastest, self.window_us])
        answer_us = int(now_us) - grant.granted_at_us
        # Below 0 only when Redis' clock stepped back: no round trip to learn from.
        if answer_us >= 0 and (self._fastest_answer_us is None or answer_us < self._fastest_answer_us):
            self._fastest_answer_us = answer_us
