"""The request's notion of "now": one clock for every handler, replaceable in tests.

Handlers take `now: NamedDependency[datetime]` (an aware UTC instant read once per request) and pass it
down to db/ and domain/ functions, which never read the system clock themselves. The app registers
`now` at the application layer (api/app.py), so a test moves time with
`create_app(..., clock=FixedClock(instant))` and nothing else changes.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime

from litestar.di import Provide

__all__ = ["Clock", "FixedClock", "now_dependency", "system_clock"]

Clock = Callable[[], datetime]


def system_clock() -> datetime:
    return datetime.now(UTC)


class FixedClock:
    """A clock that shows `instant` until moved: tests answer at 23:59 local, then at 00:01."""

    def __init__(self, instant: datetime) -> None:
        self.instant = instant

    def __call__(self) -> datetime:
        return self.instant


def now_dependency(clock: Clock) -> Provide:
    """The `now` dependency: the clock read once when a handler asks for it."""

    def provide_now() -> datetime:
        return clock()

    return Provide(provide_now, sync_to_thread=False)
