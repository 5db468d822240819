from dataclasses import replace
from datetime import time

import pytest
from hypothesis import given
from hypothesis import strategies as st

from domain.notification_gate import (
    NotificationPreferences,
    SkipReason,
    adaptive_nudge_allowed,
    gate_skip_reason,
)
from domain.notification_types import SWITCH_OF_TYPE, TRANSACTIONAL_TYPES, NotificationType
from domain.quiet_hours import in_quiet_hours
from tests.domain.support import FAST, minute_times

NOON, MIDNIGHT = time(12, 0), time(0, 0)
QUIET = NotificationPreferences(quiet_hours_enabled=True)  # 22:00–08:00 by default

# §3.10, transcribed: the switch of each type; "transactional" ignores switches and quiet hours.
SPEC_SWITCHES = {
    "ai_motivation": "ai_motivation",
    "reminder": "reminders",
    "streak_milestone": "achievements",
    "achievement": "achievements",
    "goal_complete": "achievements",
    "partner_request": "partners",
    "partner_accepted": "partners",
    "partner_nudge": "partners",
    "partner_cheer": "partners",
    "partner_milestone": "partners",
    "partner_inactive": "partners",
    "reengagement": "reengagement",
    "adaptive_nudge": "reminders",
    "weekly_recap": "weekly_recap",
    "subscription": "transactional",
    "general": None,
    "social": "partners",
    "challenge_invite": "challenges",
    "challenge": "challenges",
    "challenge_ending": "challenges",
    "challenge_ended": "challenges",
    "challenge_starting": "challenges",
    "challenge_joined": "challenges",
    "challenge_overtaken": "challenges",
    "challenge_lead": "challenges",
    "challenge_nudge": "challenges",
}


def test_catalogue_matches_the_spec_table() -> None:
    assert {kind.value for kind in NotificationType} == set(SPEC_SWITCHES)
    for kind in NotificationType:
        expected = SPEC_SWITCHES[kind.value]
        if expected == "transactional":
            assert kind in TRANSACTIONAL_TYPES
        else:
            assert kind not in TRANSACTIONAL_TYPES
            assert SWITCH_OF_TYPE[kind] == expected


def test_missing_preferences_mean_defaults_and_the_push_goes_out() -> None:
    assert gate_skip_reason(None, "reminder", MIDNIGHT) is None  # quiet hours are off by default
    assert NotificationPreferences().quiet_hours_start == time(22, 0)
    assert NotificationPreferences().quiet_hours_end == time(8, 0)


def test_reasons_come_in_the_spec_order() -> None:
    everything_off = replace(QUIET, enabled=False, push_notifications=False, reminders=False)
    assert gate_skip_reason(everything_off, "reminder", MIDNIGHT) == SkipReason.DISABLED
    assert (
        gate_skip_reason(replace(everything_off, enabled=True), "reminder", MIDNIGHT) == SkipReason.PUSH_OFF
    )
    category_off = replace(everything_off, enabled=True, push_notifications=True)
    assert gate_skip_reason(category_off, "reminder", MIDNIGHT) == SkipReason.CATEGORY_OFF
    assert (
        gate_skip_reason(replace(category_off, reminders=True), "reminder", MIDNIGHT)
        == SkipReason.QUIET_HOURS
    )
    assert gate_skip_reason(replace(category_off, reminders=True), "reminder", NOON) is None


def test_transactional_notices_ignore_switches_and_quiet_hours_but_not_the_master_switches() -> None:
    prefs = replace(QUIET, ai_motivation=False, reminders=False, partners=False)
    assert gate_skip_reason(prefs, "subscription", MIDNIGHT) is None
    assert gate_skip_reason(replace(prefs, enabled=False), "subscription", NOON) == SkipReason.DISABLED
    assert (
        gate_skip_reason(replace(prefs, push_notifications=False), "subscription", NOON)
        == SkipReason.PUSH_OFF
    )


def test_general_has_no_switch_but_respects_quiet_hours() -> None:
    all_switches_off = NotificationPreferences(
        ai_motivation=False,
        reminders=False,
        achievements=False,
        weekly_recap=False,
        reengagement=False,
        partners=False,
        challenges=False,
    )
    assert gate_skip_reason(all_switches_off, "general", MIDNIGHT) is None
    assert gate_skip_reason(replace(all_switches_off, quiet_hours_enabled=True), "general", MIDNIGHT) == (
        SkipReason.QUIET_HOURS
    )


def test_unknown_type_is_refused() -> None:
    with pytest.raises(ValueError, match="not a valid NotificationType"):
        gate_skip_reason(None, "carrier_pigeon", NOON)


preferences = st.builds(
    NotificationPreferences,
    enabled=st.booleans(),
    push_notifications=st.booleans(),
    ai_motivation=st.booleans(),
    reminders=st.booleans(),
    achievements=st.booleans(),
    weekly_recap=st.booleans(),
    reengagement=st.booleans(),
    partners=st.booleans(),
    challenges=st.booleans(),
    quiet_hours_enabled=st.booleans(),
    quiet_hours_start=minute_times,
    quiet_hours_end=minute_times,
)


@FAST
@given(st.none() | preferences, st.sampled_from(list(NotificationType)), minute_times)
def test_gate_returns_the_first_failing_check(
    prefs: NotificationPreferences | None, kind: NotificationType, moment: time
) -> None:
    p = prefs or NotificationPreferences()
    switch = SPEC_SWITCHES[kind.value]
    transactional = switch == "transactional"
    checks = [
        (SkipReason.DISABLED, not p.enabled),
        (SkipReason.PUSH_OFF, not p.push_notifications),
        (SkipReason.CATEGORY_OFF, not transactional and switch is not None and not getattr(p, switch)),
        (
            SkipReason.QUIET_HOURS,
            not transactional
            and p.quiet_hours_enabled
            and in_quiet_hours(moment, p.quiet_hours_start, p.quiet_hours_end),
        ),
    ]
    expected = next((reason for reason, failed in checks if failed), None)
    assert gate_skip_reason(prefs, kind, moment) == expected


@pytest.mark.parametrize(
    ("moment", "allowed"),
    [
        (time(21, 59), True),
        (time(22, 0), False),
        (time(3, 0), False),
        (time(6, 59), False),
        (time(7, 0), True),
    ],
)
def test_adaptive_nudges_never_go_out_between_22_and_7(moment: time, allowed: bool) -> None:
    assert adaptive_nudge_allowed(moment, "streak_at_risk", []) is allowed


def test_adaptive_nudges_are_once_per_subtype_and_three_a_day() -> None:
    assert not adaptive_nudge_allowed(NOON, "risky_day", ["risky_day"])
    assert adaptive_nudge_allowed(NOON, "risky_day", ["streak_at_risk", "milestone_approaching"])
    assert not adaptive_nudge_allowed(
        NOON, "risky_day", ["streak_at_risk", "milestone_approaching", "missed_days_intervention"]
    )
