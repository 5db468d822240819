"""Shared Hypothesis settings and strategies for the domain tests (no I/O: no example database)."""

from datetime import UTC, date, datetime, time, timedelta

from hypothesis import HealthCheck, settings
from hypothesis import strategies as st

# Fast and hermetic: a modest number of examples, no deadline flakiness, no .hypothesis/ folder.
FAST = settings(max_examples=150, deadline=None, database=None, suppress_health_check=[HealthCheck.too_slow])
SLOW = settings(max_examples=40, deadline=None, database=None, suppress_health_check=[HealthCheck.too_slow])

# Zones with the transitions worth testing: US and NZ DST, UK DST, 30-minute DST (Lord Howe),
# midnight transitions (Sao Paulo until 2019), a whole skipped day (Apia 2011), a half-hour zone, UTC.
DST_ZONES = (
    "America/Los_Angeles",
    "Pacific/Auckland",
    "Europe/London",
    "Australia/Lord_Howe",
    "America/Sao_Paulo",
    "Pacific/Apia",
    "Asia/Kolkata",
    "UTC",
)

zones = st.sampled_from(DST_ZONES)
minute_times = st.builds(time, st.integers(0, 23), st.integers(0, 59))
hhmm_strings = minute_times.map(lambda t: f"{t.hour:02d}:{t.minute:02d}")
local_dates = st.dates(min_value=date(2010, 1, 1), max_value=date(2030, 12, 31))
weekly_targets = st.sets(st.integers(0, 6), min_size=1, max_size=7).map(lambda days: tuple(sorted(days)))


@st.composite
def utc_instants(draw: st.DrawFn) -> datetime:
    """Instants from 2010 to 2030 with seconds, half of them within a day of a DST transition."""
    base = draw(st.datetimes(min_value=datetime(2010, 1, 1), max_value=datetime(2030, 12, 31)))
    if draw(st.booleans()):
        transition = draw(st.sampled_from(_TRANSITIONS_UTC))
        base = transition + timedelta(seconds=draw(st.integers(-36 * 3600, 36 * 3600)))
        return base.replace(microsecond=0, tzinfo=UTC)
    return base.replace(tzinfo=UTC)


# Some real transitions (UTC, naive) of the zones above, so examples cluster where bugs live.
_TRANSITIONS_UTC = (
    datetime(2024, 3, 10, 10, 0),  # Los Angeles spring forward
    datetime(2024, 11, 3, 9, 0),  # Los Angeles fall back
    datetime(2024, 9, 28, 14, 0),  # Auckland spring forward
    datetime(2024, 4, 6, 14, 0),  # Auckland fall back
    datetime(2024, 3, 31, 1, 0),  # London spring forward
    datetime(2024, 10, 27, 1, 0),  # London fall back
    datetime(2024, 10, 5, 15, 0),  # Lord Howe (+30 min)
    datetime(2018, 11, 4, 3, 0),  # Sao Paulo midnight spring forward
    datetime(2019, 2, 17, 2, 0),  # Sao Paulo fall back at midnight
    datetime(2011, 12, 30, 10, 0),  # Apia skips 2011-12-30
)
