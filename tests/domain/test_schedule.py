from collections.abc import Callable
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

import pytest
from hypothesis import given
from hypothesis import strategies as st

from domain.local_time import local_today, local_wall_time_to_utc
from domain.schedule import (
    STALE_AFTER,
    checkin_followup_due_at,
    checkin_prompt_due_at,
    is_daily_notice_hour,
    is_scheduled,
    is_too_late,
    next_morning_motivation_at,
    next_reminder_fire_at,
)
from tests.domain.support import FAST, SLOW, local_dates, minute_times, utc_instants, weekly_targets, zones

LA = "America/Los_Angeles"


def utc(year: int, month: int, day: int, hour: int = 0, minute: int = 0) -> datetime:
    return datetime(year, month, day, hour, minute, tzinfo=UTC)


def every_day(_day: date) -> bool:
    return True


def test_daily_goals_are_scheduled_every_day() -> None:
    assert all(is_scheduled("daily", None, date(2024, 6, 1) + timedelta(days=n)) for n in range(7))


def test_weekly_goal_is_scheduled_on_its_sunday_zero_target_days() -> None:
    # 2024-06-02 is a Sunday (0), 2024-06-03 a Monday (1), 2024-06-06 a Thursday (4).
    assert is_scheduled("weekly", [0, 4], date(2024, 6, 2))
    assert is_scheduled("weekly", [0, 4], date(2024, 6, 6))
    assert not is_scheduled("weekly", [0, 4], date(2024, 6, 3))
    assert not is_scheduled("weekly", None, date(2024, 6, 2))


def test_unknown_frequency_type_is_a_bug() -> None:
    with pytest.raises(ValueError, match="frequency_type"):
        is_scheduled("monthly", None, date(2024, 6, 2))


@FAST
@given(weekly_targets, local_dates)
def test_weekly_schedule_matches_strftime_weekday(targets: tuple[int, ...], day: date) -> None:
    assert is_scheduled("weekly", targets, day) == (int(day.strftime("%w")) in targets)


def test_reminder_in_the_spring_forward_gap_fires_at_the_first_minute_after_it() -> None:
    first = next_reminder_fire_at("02:30", LA, utc(2024, 3, 10, 8, 0), every_day)
    assert first == utc(2024, 3, 10, 10, 0)  # 03:00 PDT
    assert next_reminder_fire_at("02:30", LA, first, every_day) == utc(2024, 3, 11, 9, 30)  # 02:30 PDT


def test_reminder_in_the_repeated_hour_fires_once() -> None:
    first = next_reminder_fire_at("01:30", LA, utc(2024, 11, 3, 7, 0), every_day)
    assert first == utc(2024, 11, 3, 8, 30)  # 01:30 PDT, the first occurrence
    # Not again at 01:30 PST (09:30 UTC) the same day, but the next day.
    assert next_reminder_fire_at("01:30", LA, first, every_day) == utc(2024, 11, 4, 9, 30)


def test_reminder_is_strictly_after_and_skips_unscheduled_days() -> None:
    # Auckland, Monday/Thursday goal at 18:00; 2024-06-03 is a Monday. 18:00 NZST = 06:00 UTC.
    def mon_thu(day: date) -> bool:
        return is_scheduled("weekly", [1, 4], day)

    monday_fire = utc(2024, 6, 3, 6, 0)
    assert next_reminder_fire_at(
        "18:00", "Pacific/Auckland", monday_fire - timedelta(seconds=1), mon_thu
    ) == (monday_fire)
    assert next_reminder_fire_at("18:00", "Pacific/Auckland", monday_fire, mon_thu) == utc(2024, 6, 6, 6, 0)


def test_reminder_without_any_scheduled_day_gives_none() -> None:
    assert next_reminder_fire_at("18:00", LA, utc(2024, 6, 1, 0, 0), lambda _day: False) is None


def _qualifies(minute: datetime, tz: ZoneInfo, wall: time, scheduled: Callable[[date], bool]) -> bool:
    """The brute-force definition: the clock shows the wall time (first occurrence) on a scheduled day,
    or the clock jumps over that wall time of a scheduled day at this minute."""
    now = minute.astimezone(tz)
    if now.time() == wall and now.fold == 0 and scheduled(now.date()):
        return True
    before = (minute - timedelta(minutes=1)).astimezone(tz).replace(tzinfo=None)
    after = now.replace(tzinfo=None)
    if after - before <= timedelta(minutes=1):
        return False
    candidates = {before.date(), before.date() + timedelta(days=1), after.date()}
    return any(before < datetime.combine(day, wall) < after and scheduled(day) for day in candidates)


@SLOW
@given(
    zone=zones,
    after=utc_instants(),
    wall=minute_times,
    targets=st.none() | weekly_targets,
)
def test_next_reminder_matches_a_minute_by_minute_scan(
    zone: str, after: datetime, wall: time, targets: tuple[int, ...] | None
) -> None:
    tz = ZoneInfo(zone)

    def scheduled(day: date) -> bool:
        return is_scheduled("daily" if targets is None else "weekly", targets, day)

    fired = next_reminder_fire_at(wall, zone, after, scheduled)
    assert fired is not None
    assert fired > after
    assert fired - after <= timedelta(days=8)
    minute = after.replace(second=0, microsecond=0) + timedelta(minutes=1)
    while not _qualifies(minute, tz, wall, scheduled):
        minute += timedelta(minutes=1)
        assert minute <= fired, "the scan passed the result without finding a qualifying minute"
    assert minute == fired


def test_morning_motivation_is_the_next_local_morning_time() -> None:
    # 08:00 in Los Angeles is 15:00 UTC in summer. Exactly at it → the next day (strictly after).
    assert next_morning_motivation_at(time(8, 0), LA, utc(2024, 6, 1, 14, 0)) == utc(2024, 6, 1, 15, 0)
    assert next_morning_motivation_at("08:00", LA, utc(2024, 6, 1, 15, 0)) == utc(2024, 6, 2, 15, 0)


@FAST
@given(zones, utc_instants(), minute_times)
def test_morning_motivation_is_within_a_day_and_at_the_local_time(
    zone: str, after: datetime, wall: time
) -> None:
    fired = next_morning_motivation_at(wall, zone, after)
    assert after < fired <= after + timedelta(hours=25)
    fired_on = local_today(zone, fired)
    assert fired in {local_wall_time_to_utc(fired_on - timedelta(days=d), wall, zone) for d in (0, 1)}


def test_prompt_is_thirty_minutes_after_the_last_reminder_whatever_the_order() -> None:
    # 18:00 PDT on 2024-06-01 is 01:00 UTC on 06-02.
    assert checkin_prompt_due_at(["18:00", "07:30"], date(2024, 6, 1), LA) == utc(2024, 6, 2, 1, 30)
    assert checkin_followup_due_at(["07:30", "18:00"], date(2024, 6, 1), LA) == utc(2024, 6, 2, 3, 30)


@pytest.mark.parametrize(
    ("last_reminder", "has_followup"),
    [("21:00", True), ("21:29", True), ("21:30", False), ("22:00", False), ("23:59", False)],
)
def test_followup_is_dropped_when_it_would_cross_local_midnight(
    last_reminder: str, has_followup: bool
) -> None:
    due = checkin_followup_due_at(["07:00", last_reminder], date(2024, 6, 1), LA)
    assert (due is not None) == has_followup


@pytest.mark.parametrize(
    ("last_reminder", "has_prompt"), [("23:29", True), ("23:30", False), ("23:45", False)]
)
def test_prompt_is_dropped_when_it_would_cross_local_midnight(last_reminder: str, has_prompt: bool) -> None:
    assert (
        checkin_prompt_due_at([last_reminder], date(2024, 6, 1), "Pacific/Auckland") is not None
    ) == has_prompt


def test_delays_are_elapsed_time_across_a_dst_change() -> None:
    # 00:30 PST on the spring-forward day is 08:30 UTC; 2 h 30 min later is 11:00 UTC = 04:00 PDT.
    assert checkin_followup_due_at(["00:30"], date(2024, 3, 10), LA) == utc(2024, 3, 10, 11, 0)


def test_prompt_needs_a_reminder_time() -> None:
    with pytest.raises(ValueError, match="reminder time"):
        checkin_prompt_due_at([], date(2024, 6, 1), LA)


@FAST
@given(zones, local_dates, st.lists(minute_times, min_size=1, max_size=5))
def test_due_instants_stay_on_their_local_date(zone: str, day: date, reminders: list[time]) -> None:
    prompt = checkin_prompt_due_at(reminders, day, zone)
    followup = checkin_followup_due_at(reminders, day, zone)
    for due in (prompt, followup):
        if due is not None:
            assert local_today(zone, due) == day
    if followup is not None:
        assert prompt is not None
        assert followup - prompt == timedelta(hours=2)


def test_items_more_than_an_hour_late_are_dropped() -> None:
    due = utc(2024, 6, 1, 12, 0)
    assert not is_too_late(due, due + STALE_AFTER)
    assert is_too_late(due, due + STALE_AFTER + timedelta(seconds=1))
    assert not is_too_late(due, due - timedelta(minutes=5))


def test_daily_notices_go_out_in_the_local_ten_oclock_hour() -> None:
    assert is_daily_notice_hour(LA, utc(2024, 6, 1, 17, 0))  # 10:00 PDT
    assert is_daily_notice_hour(LA, utc(2024, 6, 1, 17, 59))
    assert not is_daily_notice_hour(LA, utc(2024, 6, 1, 18, 0))
