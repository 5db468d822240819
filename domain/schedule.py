"""When things are due: scheduled days, reminder instants, check-in prompts, morning motivation (§3.1, §3.11).

Every function returns aware UTC datetimes, which is what the due-instant columns store
(reminder_slots.next_fire_at, check_ins.prompt_due_at / followup_due_at,
users.next_morning_motivation_at). The per-minute jobs take rows whose instant has passed, so a late
tick catches up and :func:`is_too_late` drops what is no longer worth sending.
"""

from collections.abc import Callable, Sequence
from datetime import date, datetime, time, timedelta
from enum import StrEnum

from domain.local_time import (
    TimeZoneLike,
    load_timezone,
    local_midnight_utc,
    local_today,
    local_wall_time_to_utc,
    parse_time_of_day,
    require_aware,
    weekday_sun0,
)

__all__ = [
    "CHECKIN_FOLLOWUP_DELAY",
    "CHECKIN_PROMPT_DELAY",
    "DAILY_NOTICE_HOUR",
    "STALE_AFTER",
    "FrequencyType",
    "checkin_followup_due_at",
    "checkin_prompt_due_at",
    "is_daily_notice_hour",
    "is_scheduled",
    "is_too_late",
    "next_morning_motivation_at",
    "next_reminder_fire_at",
]

# The prompt asks "did you do it?" half an hour after the last reminder of the day (§3.11).
CHECKIN_PROMPT_DELAY = timedelta(minutes=30)
# The gentle second ask comes two and a half hours after the last reminder, if still that day (§3.11).
CHECKIN_FOLLOWUP_DELAY = timedelta(hours=2, minutes=30)
# Items more than 60 minutes late are dropped rather than sent out of context (§3.11).
STALE_AFTER = timedelta(hours=1)
# Once-a-day user notices go out in the hour when the user's local time is 10:00–10:59 (§3.11).
DAILY_NOTICE_HOUR = 10
# A weekly goal has a scheduled day at least once in any 7 consecutive days; one extra day on each
# side covers a wall time pushed past midnight by a gap. Nothing is searched beyond this window.
_SEARCH_DAYS = 8


class FrequencyType(StrEnum):
    DAILY = "daily"
    WEEKLY = "weekly"


def is_scheduled(frequency_type: str, target_days: Sequence[int] | None, local_date: date) -> bool:
    """Whether ``local_date`` is an occurrence of a goal: always for daily; for weekly when its
    weekday (0 = Sunday) is in ``target_days``."""
    if frequency_type == FrequencyType.DAILY:
        return True
    if frequency_type == FrequencyType.WEEKLY:
        return target_days is not None and weekday_sun0(local_date) in target_days
    raise ValueError(f"unknown frequency_type {frequency_type!r}")


def next_reminder_fire_at(
    reminder_time: str | time,
    tz: TimeZoneLike,
    after_utc: datetime,
    is_scheduled_on: Callable[[date], bool],
) -> datetime | None:
    """The first UTC instant strictly after ``after_utc`` at which the local clock shows ``reminder_time``
    on a date for which ``is_scheduled_on`` is true (DST rules of :func:`local_wall_time_to_utc`).

    Searches the local dates from the day before ``after_utc``'s local date through 8 days after it.
    Returns None when no date in that window is scheduled (e.g. a challenge that has ended, or a weekly
    goal without target days): the caller should then drop the reminder slot.
    """
    require_aware(after_utc, "after_utc")
    zone = load_timezone(tz)
    wall_time = parse_time_of_day(reminder_time)
    start = local_today(zone, after_utc) - timedelta(days=1)
    candidates = (
        local_wall_time_to_utc(day, wall_time, zone)
        for day in (start + timedelta(days=offset) for offset in range(_SEARCH_DAYS + 2))
        if is_scheduled_on(day)
    )
    return min((instant for instant in candidates if instant > after_utc), default=None)


def next_morning_motivation_at(morning_time: str | time, tz: TimeZoneLike, after_utc: datetime) -> datetime:
    """The next instant strictly after ``after_utc`` at the user's local ``morning_time`` (any day).

    Whether a goal is scheduled that day is checked when the notice is due, not here (§4).
    """
    fire_at = next_reminder_fire_at(morning_time, tz, after_utc, lambda _day: True)
    if fire_at is None:  # impossible: every day is eligible, so the window always holds one
        raise RuntimeError("no morning instant found within the search window")
    return fire_at


def _last_reminder_instant(
    reminder_times: Sequence[str | time], local_date: date, tz: TimeZoneLike
) -> datetime:
    if not reminder_times:
        raise ValueError("a goal has at least one reminder time")
    last = max(parse_time_of_day(value) for value in reminder_times)
    return local_wall_time_to_utc(local_date, last, tz)


def _if_same_local_day(instant: datetime, local_date: date, tz: TimeZoneLike) -> datetime | None:
    next_midnight = local_midnight_utc(local_date + timedelta(days=1), tz)
    return instant if instant < next_midnight else None


def checkin_prompt_due_at(
    reminder_times: Sequence[str | time], local_date: date, tz: TimeZoneLike
) -> datetime | None:
    """When the check-in prompt for ``local_date`` is due: 30 minutes after the last reminder time.

    The 30 minutes are elapsed time after the reminder's instant (DST cannot shorten or stretch them).
    None when that falls on or after local midnight (reminders after 23:30): the day is over by then,
    the row is about to turn missed, and an answer can only be given for the new local today.
    """
    due = _last_reminder_instant(reminder_times, local_date, tz) + CHECKIN_PROMPT_DELAY
    return _if_same_local_day(due, local_date, tz)


def checkin_followup_due_at(
    reminder_times: Sequence[str | time], local_date: date, tz: TimeZoneLike
) -> datetime | None:
    """When the follow-up for ``local_date`` is due: 2 h 30 min after the last reminder time, only when
    that instant falls before local midnight ending ``local_date``; otherwise None (no follow-up)."""
    due = _last_reminder_instant(reminder_times, local_date, tz) + CHECKIN_FOLLOWUP_DELAY
    return _if_same_local_day(due, local_date, tz)


def is_too_late(due_at: datetime, now_utc: datetime) -> bool:
    """True when a due item is more than :data:`STALE_AFTER` late and should be dropped, not sent.

    Exactly 60 minutes late is still sent.
    """
    require_aware(due_at, "due_at")
    require_aware(now_utc, "now_utc")
    return now_utc - due_at > STALE_AFTER


def is_daily_notice_hour(tz: TimeZoneLike, now_utc: datetime) -> bool:
    """Whether the user's local time is 10:00–10:59, the hour in which once-a-day notices go out."""
    require_aware(now_utc, "now_utc")
    return now_utc.astimezone(load_timezone(tz)).hour == DAILY_NOTICE_HOUR
