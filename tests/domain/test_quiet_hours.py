from datetime import time

import pytest
from hypothesis import given

from domain.quiet_hours import in_quiet_hours
from tests.domain.support import FAST, minute_times

NIGHT = (time(22, 0), time(8, 0))
AFTERNOON = (time(13, 0), time(15, 0))


@pytest.mark.parametrize(
    ("moment", "inside"),
    [
        (time(21, 59, 59), False),
        (time(22, 0), True),
        (time(23, 59, 59), True),
        (time(0, 0), True),
        (time(7, 59, 59), True),
        (time(8, 0), False),  # the end is exclusive
        (time(12, 0), False),
    ],
)
def test_window_wraps_past_midnight_when_start_is_later_than_end(moment: time, inside: bool) -> None:
    assert in_quiet_hours(moment, *NIGHT) is inside


@pytest.mark.parametrize(
    ("moment", "inside"),
    [
        (time(12, 59), False),
        (time(13, 0), True),
        (time(14, 59, 59), True),
        (time(15, 0), False),
        (time(23, 0), False),
    ],
)
def test_window_within_one_day_has_an_exclusive_end(moment: time, inside: bool) -> None:
    assert in_quiet_hours(moment, *AFTERNOON) is inside


@FAST
@given(minute_times, minute_times)
def test_equal_start_and_end_is_an_empty_window(moment: time, bound: time) -> None:
    assert not in_quiet_hours(moment, bound, bound)


@FAST
@given(minute_times, minute_times, minute_times)
def test_window_is_the_minutes_from_start_up_to_but_excluding_end(
    moment: time, start: time, end: time
) -> None:
    def minute_of(value: time) -> int:
        return value.hour * 60 + value.minute

    quiet = set()
    minute = minute_of(start)
    while minute != minute_of(end):  # walk forward around the clock, end excluded
        quiet.add(minute)
        minute = (minute + 1) % (24 * 60)
    assert in_quiet_hours(moment, start, end) is (minute_of(moment) in quiet)
