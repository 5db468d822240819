"""Local dates and wall-clock times in a user's IANA time zone (spec §1.2, §6 traps 3 and 6).

Every "today", "this week" and "at 18:00" the product talks about is in the user's zone. These
functions turn UTC instants into local dates and local wall times into UTC instants, DST-safe:

* a wall time that does not exist (the spring-forward gap) resolves to the first instant after the
  gap, e.g. 02:30 on a spring-forward day in America/Los_Angeles becomes 03:00 PDT;
* a wall time that happens twice (fall back) resolves to its first occurrence, so it fires once.

A time of day is read strictly: "HH:MM" in ASCII digits, 00:00–23:59, optionally with ":SS" (cut,
spec §1.2). Nothing else is a time: not "8:05", not " 08:05", not full-width "８:05" (Unicode digits
that int() would read), so what is stored is exactly what the client will be shown.
"""

import re
from datetime import UTC, date, datetime, time, timedelta
from functools import lru_cache
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError, available_timezones

from domain.errors import InvalidInput

__all__ = [
    "DEFAULT_TIMEZONE",
    "TimeZoneLike",
    "format_hhmm",
    "is_valid_timezone",
    "load_timezone",
    "local_midnight_utc",
    "local_monday",
    "local_now",
    "local_today",
    "local_wall_time_to_utc",
    "parse_hhmm",
    "parse_time_of_day",
    "require_aware",
    "weekday_sun0",
]

DEFAULT_TIMEZONE = "UTC"

TimeZoneLike = ZoneInfo | str
"""A loaded zone, or an IANA name as stored in ``users.timezone``."""

# Names that ZoneInfo can load but that are not real IANA zones for a person to live in:
# "localtime" is the server's own zone (the very thing trap 3 forbids) and "Factory" is a placeholder.
_NOT_USER_ZONES = frozenset({"localtime", "Factory"})

# "HH:MM" or "HH:MM:SS"; 24-hour. [0-9], not \d: \d matches every Unicode digit.
_HHMM = re.compile(r"(?P<hour>[01][0-9]|2[0-3]):(?P<minute>[0-5][0-9])(?::[0-5][0-9])?")


@lru_cache(maxsize=1)
def _known_zone_names() -> frozenset[str]:
    return frozenset(available_timezones()) - _NOT_USER_ZONES


def is_valid_timezone(name: str) -> bool:
    """True when ``name`` is an IANA zone name this server can load (case-sensitive, as IANA is)."""
    if name not in _known_zone_names():
        return False
    try:
        ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError, OSError):
        return False
    return True


def load_timezone(zone: TimeZoneLike) -> ZoneInfo:
    """The ZoneInfo for a name; InvalidInput (422) for anything that is not a valid IANA name."""
    if isinstance(zone, ZoneInfo):
        return zone
    if not is_valid_timezone(zone):
        raise InvalidInput(
            f"Unknown time zone {zone!r}; use an IANA name such as 'Europe/London'.", code="invalid_timezone"
        )
    return ZoneInfo(zone)


def parse_hhmm(value: str) -> str:
    """Normalise a time of day to "HH:MM": "18:00:59" → "18:00" (seconds are cut).

    Raises InvalidInput for anything else ("8:05", "24:00", "18:60", "6pm", "８:05", "").
    """
    match = _HHMM.fullmatch(value) if isinstance(value, str) else None
    if match is None:
        raise InvalidInput(f"Invalid time of day {value!r}; expected 'HH:MM' (24-hour).", code="invalid_time")
    return f"{match['hour']}:{match['minute']}"


def parse_time_of_day(value: str | time) -> time:
    """A ``time`` at minute precision from "HH:MM[:SS]" or a ``time`` (seconds are dropped)."""
    if isinstance(value, time):
        return time(value.hour, value.minute)
    hour, minute = parse_hhmm(value).split(":")
    return time(int(hour), int(minute))


def format_hhmm(value: time) -> str:
    """The "HH:MM" form of a time of day (how the API and the dedupe keys show it)."""
    return f"{value.hour:02d}:{value.minute:02d}"


def require_aware(instant: datetime, name: str = "instant") -> None:
    """Refuse naive datetimes: a naive value is a bug (it would silently mean server-local time)."""
    if instant.tzinfo is None or instant.utcoffset() is None:
        raise ValueError(f"{name} must be timezone-aware, got naive {instant!r}")


def local_now(zone: TimeZoneLike, now_utc: datetime) -> datetime:
    """The aware local datetime of the instant ``now_utc`` in ``zone``."""
    require_aware(now_utc, "now_utc")
    return now_utc.astimezone(load_timezone(zone))


def local_today(zone: TimeZoneLike, now_utc: datetime) -> date:
    """The user's calendar date at the instant ``now_utc``."""
    return local_now(zone, now_utc).date()


def local_monday(local_date: date) -> date:
    """The Monday that starts the local week (Monday to Sunday) containing ``local_date``."""
    return local_date - timedelta(days=local_date.weekday())


def weekday_sun0(local_date: date) -> int:
    """Day of week as stored and sent everywhere: 0 = Sunday, 1 = Monday … 6 = Saturday (trap 6).

    Python's ``date.weekday()`` counts Monday as 0; ``isoweekday()`` counts Monday 1 … Sunday 7.
    """
    return local_date.isoweekday() % 7


def local_wall_time_to_utc(local_date: date, wall_time: str | time, zone: TimeZoneLike) -> datetime:
    """The UTC instant at which the clock in ``zone`` shows ``wall_time`` on ``local_date``.

    * Ambiguous (fall back, the hour happens twice): the first occurrence (fold=0), so a reminder
      fires once.
    * Nonexistent (spring forward): the first instant after the gap, i.e. the next valid minute
      (02:30 in America/Los_Angeles on 2024-03-10 → 03:00 PDT = 10:00 UTC). A day that was skipped
      entirely (Pacific/Apia, 2011-12-30) likewise resolves to the first instant after it.
    """
    tz = load_timezone(zone)
    naive = datetime.combine(local_date, parse_time_of_day(wall_time))
    first_guess = naive.replace(tzinfo=tz, fold=0).astimezone(UTC)
    if first_guess.astimezone(tz).replace(tzinfo=None) == naive:
        return first_guess  # exists; for an ambiguous time fold=0 is the first occurrence
    return _first_instant_after_gap(naive, tz)


def _first_instant_after_gap(naive: datetime, tz: ZoneInfo) -> datetime:
    """For a wall time inside a gap: the UTC instant where the gap ends, rounded up to a local minute.

    With fold=0 the gap time is read with the offset before the transition (landing after it), with
    fold=1 with the offset after it (landing before it); the transition lies between, and a binary
    search over whole seconds finds it.
    """
    after = naive.replace(tzinfo=tz, fold=0).astimezone(UTC)
    before = naive.replace(tzinfo=tz, fold=1).astimezone(UTC)
    if before > after:
        before, after = after, before
    offset_after = after.astimezone(tz).utcoffset()
    while after - before > timedelta(seconds=1):
        middle = before + (after - before) // 2
        middle = middle.replace(microsecond=0)
        if middle.astimezone(tz).utcoffset() == offset_after:
            after = middle
        else:
            before = middle
    wall = after.astimezone(tz)
    if wall.second or wall.microsecond:  # historical offsets with seconds: round up to a whole minute
        after += timedelta(seconds=60 - wall.second, microseconds=-wall.microsecond)
    return after


def local_midnight_utc(local_date: date, zone: TimeZoneLike) -> datetime:
    """The UTC instant at which ``local_date`` starts in ``zone`` (DST-safe; midnight may be in a gap)."""
    return local_wall_time_to_utc(local_date, time(0, 0), zone)
