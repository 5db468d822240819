from datetime import UTC, date, datetime, time, timedelta, timezone
from uuid import UUID

from domain.dedupe_keys import (
    adaptive_nudge_key,
    ai_motivation_key,
    challenge_cancelled_key,
    challenge_ending_key,
    challenge_invite_key,
    challenge_result_key,
    checkin_followup_key,
    checkin_prompt_key,
    morning_motivation_key,
    partner_inactive_key,
    reengagement_key,
    streak_milestone_key,
    subscription_expiry_warning_key,
    weekly_recap_key,
)

A = UUID("11111111-1111-1111-1111-111111111111")
B = UUID("22222222-2222-2222-2222-222222222222")
DAY = date(2024, 6, 3)


def test_keys_follow_the_spec_formats() -> None:
    assert ai_motivation_key(A, B, DAY, "08:00:30") == f"ai_motivation:{A}:{B}:2024-06-03:08:00"
    assert ai_motivation_key(A, B, DAY, time(18, 0)) == f"ai_motivation:{A}:{B}:2024-06-03:18:00"
    assert checkin_prompt_key(A, DAY) == f"checkin_prompt:{A}:2024-06-03"
    assert checkin_followup_key(A, DAY) == f"checkin_followup:{A}:2024-06-03"
    assert morning_motivation_key(A, DAY) == f"morning_motivation:{A}:2024-06-03"
    assert reengagement_key(A, DAY) == f"reengagement:{A}:2024-06-03"
    assert partner_inactive_key(A, B, DAY) == f"partner_inactive:{A}:{B}:2024-06-03"
    assert adaptive_nudge_key("streak_at_risk", A, DAY) == f"adaptive:streak_at_risk:{A}:2024-06-03"
    assert weekly_recap_key(A, DAY) == f"weekly_recap:{A}:2024-06-03"
    assert challenge_ending_key(A, B, "final_day") == f"challenge_ending:{A}:{B}:final_day"
    assert challenge_cancelled_key(A, B) == f"challenge_cancelled:{A}:{B}"
    assert challenge_result_key(A, B) == f"challenge_completed:{A}:{B}"
    assert streak_milestone_key(A, 30, DAY) == f"streak_milestone:{A}:30:2024-06-03"


def test_expiry_warning_key_uses_the_utc_date_whatever_the_offset() -> None:
    late_evening_in_la = datetime(2024, 6, 3, 20, 0, tzinfo=timezone(timedelta(hours=-7)))
    assert (
        subscription_expiry_warning_key(A, late_evening_in_la)
        == f"subscription_expiry_warning:{A}:2024-06-04"
    )
    assert subscription_expiry_warning_key(A, datetime(2024, 6, 4, 3, 0, tzinfo=UTC)).endswith(":2024-06-04")


def test_an_invite_reset_to_pending_gets_a_new_key_and_zones_do_not_matter() -> None:
    first = datetime(2024, 6, 10, 12, 0, tzinfo=UTC)
    assert challenge_invite_key(A, first) == f"challenge_invite:{A}:2024-06-10T12:00:00+00:00"
    same_instant = first.astimezone(timezone(timedelta(hours=-7)))
    assert challenge_invite_key(A, same_instant) == challenge_invite_key(A, first)
    assert challenge_invite_key(A, first + timedelta(days=7)) != challenge_invite_key(A, first)
