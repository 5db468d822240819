from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

import pytest
from hypothesis import given
from hypothesis import strategies as st

from domain.errors import InvalidInput
from domain.local_time import (
    format_hhmm,
    is_valid_timezone,
    load_timezone,
    local_midnight_utc,
    local_monday,
    local_today,
    local_wall_time_to_utc,
    parse_hhmm,
    parse_time_of_day,
    weekday_sun0,
)
from tests.domain.support import FAST, hhmm_strings, local_dates, minute_times, utc_instants, zones


@pytest.mark.parametrize(
    "name", ["UTC", "America/Los_Angeles", "Pacific/Auckland", "Asia/Kolkata", "Etc/GMT+5"]
)
def test_iana_names_are_valid_timezones(name: str) -> None:
    assert is_valid_timezone(name)


@pytest.mark.parametrize(
    "name",
    [
        "",
        "Mars/Olympus",
        "America",
        "utc",
        "America/Los_Angeles ",
        "../etc/passwd",
        "/etc/localtime",
        "localtime",
        "Factory",
    ],
)
def test_non_iana_or_server_local_names_are_rejected(name: str) -> None:
    assert not is_valid_timezone(name)
    with pytest.raises(InvalidInput) as raised:
        load_timezone(name)
    assert raised.value.code == "invalid_timezone"


@pytest.mark.parametrize(
    ("given_value", "expected"),
    [("08:00", "08:00"), ("18:00:59", "18:00"), ("23:59", "23:59"), ("00:00:00", "00:00")],
)
def test_parse_hhmm_normalises_and_cuts_seconds(given_value: str, expected: str) -> None:
    assert parse_hhmm(given_value) == expected


@pytest.mark.parametrize(
    "bad",
    [
        *("24:00", "18:60", "6pm", "", "1800", "18:0", "123:00", "18:00:60", "18:00:00.5", "-1:00", "18:00:"),
        # Only ASCII digits, two of them, nothing around them.
        *("8:05", " 08:05", "08:05\n", "８:05", "08:０5", "٠٨:٠٥", "𝟎𝟖:𝟎𝟓"),
    ],
)
def test_parse_hhmm_rejects_malformed_times_as_invalid_input(bad: str) -> None:
    with pytest.raises(InvalidInput) as raised:
        parse_hhmm(bad)
    assert raised.value.code == "invalid_time"


@FAST
@given(hhmm_strings, st.integers(0, 59))
def test_parse_hhmm_round_trips_and_ignores_seconds(hhmm: str, seconds: int) -> None:
    assert parse_hhmm(hhmm) == hhmm
    assert parse_hhmm(f"{hhmm}:{seconds:02d}") == hhmm
    assert format_hhmm(parse_time_of_day(hhmm)) == hhmm


def test_parse_time_of_day_accepts_a_time_value_and_drops_seconds() -> None:
    # Trap 6: morning_motivation_time is a time value, not a string to compare.
    assert parse_time_of_day(time(8, 0, 30)) == time(8, 0)


@pytest.mark.parametrize(
    ("instant", "zone", "expected"),
    [
        # 06:30 UTC: still the evening before in Los Angeles, already evening in Auckland.
        (datetime(2024, 6, 1, 6, 30, tzinfo=UTC), "America/Los_Angeles", date(2024, 5, 31)),
        (datetime(2024, 6, 1, 6, 30, tzinfo=UTC), "Pacific/Auckland", date(2024, 6, 1)),
        # 12:30 UTC: just after midnight in Auckland (NZST, +12), morning in Los Angeles.
        (datetime(2024, 6, 1, 12, 30, tzinfo=UTC), "Pacific/Auckland", date(2024, 6, 2)),
        (datetime(2024, 6, 1, 12, 30, tzinfo=UTC), "America/Los_Angeles", date(2024, 6, 1)),
        # The exact instant of local midnight belongs to the new day; one second before does not.
        (datetime(2024, 6, 1, 7, 0, tzinfo=UTC), "America/Los_Angeles", date(2024, 6, 1)),
        (datetime(2024, 6, 1, 6, 59, 59, tzinfo=UTC), "America/Los_Angeles", date(2024, 5, 31)),
        (datetime(2024, 6, 1, 11, 59, 59, tzinfo=UTC), "Pacific/Auckland", date(2024, 6, 1)),
    ],
)
def test_local_today_uses_the_users_zone_around_midnight(
    instant: datetime, zone: str, expected: date
) -> None:
    assert local_today(zone, instant) == expected


def test_local_today_refuses_naive_datetimes() -> None:
    with pytest.raises(ValueError, match="timezone-aware"):
        local_today("UTC", datetime(2024, 6, 1, 12, 0))


@pytest.mark.parametrize(
    ("day", "expected"),
    [(date(2024, 6, 2), 0), (date(2024, 6, 3), 1), (date(2024, 6, 5), 3), (date(2024, 6, 8), 6)],
)
def test_weekday_counts_sunday_as_zero(day: date, expected: int) -> None:
    assert weekday_sun0(day) == expected


@FAST
@given(local_dates)
def test_weekday_sun0_agrees_with_strftime_w_and_monday_starts_the_week(day: date) -> None:
    assert weekday_sun0(day) == int(day.strftime("%w"))
    monday = local_monday(day)
    assert weekday_sun0(monday) == 1
    assert timedelta(0) <= day - monday < timedelta(days=7)


@pytest.mark.parametrize(
    ("zone", "day", "wall", "expected_utc", "expected_local"),
    [
        # Spring forward: 02:00–02:59 do not exist in Los Angeles; they fire at 03:00 PDT.
        ("America/Los_Angeles", date(2024, 3, 10), "02:30", datetime(2024, 3, 10, 10, 0), "03:00"),
        ("America/Los_Angeles", date(2024, 3, 10), "02:00", datetime(2024, 3, 10, 10, 0), "03:00"),
        ("America/Los_Angeles", date(2024, 3, 10), "01:59", datetime(2024, 3, 10, 9, 59), "01:59"),
        ("America/Los_Angeles", date(2024, 3, 10), "03:00", datetime(2024, 3, 10, 10, 0), "03:00"),
        # Fall back: 01:30 happens twice; the first (PDT) occurrence is used.
        ("America/Los_Angeles", date(2024, 11, 3), "01:30", datetime(2024, 11, 3, 8, 30), "01:30"),
        # Auckland: spring forward 02:00 → 03:00 NZDT; fall back 03:00 NZDT → 02:00 NZST.
        ("Pacific/Auckland", date(2024, 9, 29), "02:30", datetime(2024, 9, 28, 14, 0), "03:00"),
        ("Pacific/Auckland", date(2024, 4, 7), "02:30", datetime(2024, 4, 6, 13, 30), "02:30"),
        # London: 01:00 GMT → 02:00 BST; 02:00 BST → 01:00 GMT.
        ("Europe/London", date(2024, 3, 31), "01:30", datetime(2024, 3, 31, 1, 0), "02:00"),
        ("Europe/London", date(2024, 10, 27), "01:30", datetime(2024, 10, 27, 0, 30), "01:30"),
        # Lord Howe moves by 30 minutes: 02:00 → 02:30.
        ("Australia/Lord_Howe", date(2024, 10, 6), "02:15", datetime(2024, 10, 5, 15, 30), "02:30"),
        # Sao Paulo (2018) sprang forward at midnight: the day starts at 01:00.
        ("America/Sao_Paulo", date(2018, 11, 4), "00:00", datetime(2018, 11, 4, 3, 0), "01:00"),
        # Apia skipped 2011-12-30 entirely: anything that day fires when the 31st begins.
        ("Pacific/Apia", date(2011, 12, 30), "18:00", datetime(2011, 12, 30, 10, 0), "00:00"),
    ],
)
def test_wall_time_to_utc_handles_gaps_and_repeats(
    zone: str, day: date, wall: str, expected_utc: datetime, expected_local: str
) -> None:
    fired = local_wall_time_to_utc(day, wall, zone)
    assert fired == expected_utc.replace(tzinfo=UTC)
    assert fired.tzinfo is UTC
    assert format_hhmm(fired.astimezone(ZoneInfo(zone)).time()) == expected_local


@FAST
@given(
    zone=zones,
    day=local_dates
    | st.sampled_from(
        [
            date(2024, 3, 10),
            date(2024, 11, 3),
            date(2024, 9, 29),
            date(2024, 4, 7),
            date(2018, 11, 4),
            date(2011, 12, 30),
        ]
    ),
    wall=minute_times,
)
def test_wall_time_is_the_first_instant_showing_it_or_the_first_after_its_gap(
    zone: str, day: date, wall: time
) -> None:
    tz = ZoneInfo(zone)
    target = datetime.combine(day, wall)
    fired = local_wall_time_to_utc(day, wall, zone)
    assert fired.second == 0
    assert fired.microsecond == 0
    local = fired.astimezone(tz)
    just_before = (fired - timedelta(minutes=1)).astimezone(tz).replace(tzinfo=None)
    if local.replace(tzinfo=None) == target:
        assert local.fold == 0  # the first occurrence of a repeated time
    else:  # nonexistent: the clock jumped from before the target to after it at this instant
        assert just_before < target < local.replace(tzinfo=None)
    # No earlier minute shows the target (so an ambiguous time fires once, at its first occurrence).
    for minutes_back in range(1, 181):
        earlier = (fired - timedelta(minutes=minutes_back)).astimezone(tz).replace(tzinfo=None)
        assert earlier != target


@pytest.mark.parametrize(
    ("zone", "day", "expected"),
    [
        ("America/Los_Angeles", date(2024, 6, 1), datetime(2024, 6, 1, 7, 0, tzinfo=UTC)),
        ("Pacific/Auckland", date(2024, 6, 1), datetime(2024, 5, 31, 12, 0, tzinfo=UTC)),
        ("America/Sao_Paulo", date(2018, 11, 4), datetime(2018, 11, 4, 3, 0, tzinfo=UTC)),
    ],
)
def test_local_midnight_is_the_first_instant_of_the_local_date(
    zone: str, day: date, expected: datetime
) -> None:
    assert local_midnight_utc(day, zone) == expected
    assert local_today(zone, expected) == day
    assert local_today(zone, expected - timedelta(seconds=1)) == day - timedelta(days=1)


@FAST
@given(zones, utc_instants())
def test_local_today_starts_at_local_midnight(zone: str, instant: datetime) -> None:
    today = local_today(zone, instant)
    assert local_midnight_utc(today, zone) <= instant < local_midnight_utc(today + timedelta(days=1), zone)
