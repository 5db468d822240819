"""The badge catalogue and the pure choice of earned badges (§3.7)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

import pytest
from hypothesis import assume, example, given
from hypothesis import strategies as st

from domain.achievements import (
    ACCOUNT_AGE_THRESHOLDS,
    CATALOGUE,
    PERFECT_WINDOWS,
    Condition,
    ConditionCounts,
    UnlockCondition,
    account_age_windows,
    earned_badges,
)
from domain.local_time import local_today
from tests.domain.support import FAST, utc_instants, zones


@dataclass(frozen=True)
class Candidate:
    key: str
    condition: UnlockCondition


def candidate(kind: Condition | str, value: int) -> Candidate:
    return Candidate(f"{kind}:{value}", UnlockCondition(str(kind), value))


def test_the_catalogue_holds_the_69_badges_of_the_spec() -> None:
    keys = [badge.key for badge in CATALOGUE]
    assert len(keys) == len(set(keys)) == 69
    assert keys[:3] == ["first_checkin", "first_goal", "goals_3"]
    assert keys[-1] == "wins_50"
    by_key = {badge.key: badge for badge in CATALOGUE}
    assert by_key["first_cheer"].condition == UnlockCondition("cheers_sent", 1)
    assert by_key["perfect_quarter"].condition == UnlockCondition("perfect_period", 90)
    assert (by_key["streak_1000"].rarity, by_key["streak_1000"].points) == ("legendary", 15000)
    assert {badge.condition.type for badge in CATALOGUE} == {kind.value for kind in Condition}
    assert ACCOUNT_AGE_THRESHOLDS == (30, 90, 180, 365, 730, 1095, 1825)
    assert all(badge.description and badge.icon for badge in CATALOGUE)


def test_a_badge_is_earned_from_its_value_on() -> None:
    badges = [candidate(Condition.CHECKIN_COUNT, 10), candidate(Condition.STREAK, 7)]
    assert earned_badges(ConditionCounts(checkin_count=9, streak=6), badges) == []
    assert earned_badges(ConditionCounts(checkin_count=10, streak=6), badges) == badges[:1]
    assert earned_badges(ConditionCounts(checkin_count=50, streak=8), badges) == badges


@pytest.mark.parametrize("kind", [Condition.PERFECT_WEEK, Condition.PERFECT_MONTH, Condition.PERFECT_PERIOD])
def test_a_perfect_badge_needs_every_day_of_its_window(kind: Condition) -> None:
    badges = [candidate(kind, window) for window in PERFECT_WINDOWS]
    full = {window: window for window in PERFECT_WINDOWS}
    assert earned_badges(ConditionCounts(perfect_days=full), badges) == badges
    one_short = {window: window - 1 for window in PERFECT_WINDOWS}
    assert earned_badges(ConditionCounts(perfect_days=one_short), badges) == []


def test_what_cannot_be_measured_is_never_earned() -> None:
    unknown = candidate("moon_phase", 0)
    unloaded_window = candidate(Condition.PERFECT_PERIOD, 60)
    counts = ConditionCounts(perfect_days={60: 60})
    assert earned_badges(ConditionCounts(), [unknown]) == []
    assert earned_badges(ConditionCounts(perfect_days={7: 7}), [unloaded_window]) == []
    assert earned_badges(counts, [unloaded_window]) == [unloaded_window]


@FAST
@given(
    zone=zones,
    now=utc_instants(),
    threshold=st.sampled_from(ACCOUNT_AGE_THRESHOLDS),
    offset_minutes=st.integers(min_value=-3 * 24 * 60, max_value=3 * 24 * 60),
)
# Apia skipped 30 December 2011 (it moved across the date line): local age ran a day ahead of time.
@example(
    zone="Pacific/Apia", now=datetime(2011, 12, 30, 10, 0, tzinfo=UTC), threshold=30, offset_minutes=-1440
)
def test_the_sweep_windows_hold_everyone_at_or_one_day_past_a_threshold(
    zone: str, now: datetime, threshold: int, offset_minutes: int
) -> None:
    # Given a user created about `threshold` days before `now`, whose local age is the threshold or one
    # more day
    created = now - timedelta(days=threshold, minutes=offset_minutes)
    age = (local_today(zone, now) - local_today(zone, created)).days
    assume(age in (threshold, threshold + 1))

    # Then the sweep at `now` evaluates them
    assert any(start < created < end for start, end in account_age_windows(now))
