import re
from datetime import UTC, date, datetime
from decimal import Decimal
from uuid import UUID, uuid4

import pytest
from hypothesis import given
from hypothesis import strategies as st

from domain.motivation_style import MotivationStyle, first_name, motivation_style_of
from domain.notification_copy import NotificationContent
from domain.notification_copy.achievement_notices import achievement_notification
from domain.notification_copy.challenge_notices import (
    challenge_cancelled_notification,
    challenge_ending_notification,
    challenge_invite_notification,
    challenge_result_notification,
)
from domain.notification_copy.checkin_replies import CHECKIN_REPLIES, StreakBand, checkin_reply, streak_band
from domain.notification_copy.morning_motivation import MorningGoal, morning_motivation_notification
from domain.notification_copy.partner_notices import (
    partner_accepted_notification,
    partner_achievements_notification,
    partner_inactive_notification,
    partner_nudge_notification,
    partner_request_notification,
)
from domain.notification_copy.reengagement import reengagement_notification
from domain.notification_copy.reminders import (
    REMINDER_BODY_MAX,
    REMINDER_TEMPLATES,
    REMINDER_TITLE_MAX,
    ReminderText,
    checkin_followup_notification,
    checkin_prompt_notification,
    reminder_notification,
    reminder_template,
)
from domain.notification_copy.streak_milestones import MILESTONE_LINES, streak_milestone_notification
from domain.notification_copy.subscription_notices import (
    billing_issue_notification,
    expiry_warning_notification,
    subscription_expired_notification,
)
from domain.notification_copy.weekly_recap_notices import weekly_recap_notification
from domain.notification_types import EntityType, NotificationType
from domain.nudges import DAILY_NUDGE_LIMITS, emoji_character, notification_type_for_nudge
from domain.streaks import STREAK_MILESTONES, AnswerStatus
from tests.domain.support import FAST

GOAL, CHALLENGE, USER, OTHER, PARTNERSHIP, ROW = (uuid4() for _ in range(6))
G = f"/(user)/(goals)/details?id={GOAL}"
C = f"/(user)/challenges/{CHALLENGE}"
STYLES = [style.value for style in MotivationStyle]


def expect(
    content: NotificationContent,
    *,
    notification_type: str,
    keys: set[str],
    data_type: str,
    deep_link: str,
    entity: tuple[str, UUID] | None,
    ios_category: str | None = None,
) -> None:
    """The §3.10 row of a notice: stored type, exact data keys, data.type, deep link, entity, iOS category."""
    assert content.notification_type == notification_type
    assert set(content.data) == keys
    assert content.data["type"] == data_type
    assert content.data["deepLink"] == deep_link
    assert (None if content.entity_type is None else (content.entity_type, content.entity_id)) == entity
    assert content.ios_category == ios_category
    assert content.title.strip()
    assert content.body.strip()
    assert "{" not in content.title + content.body  # every placeholder was filled


def test_goal_and_challenge_reminders_carry_item_type_and_id() -> None:
    text = ReminderText("Run time", "Go, Sam")
    expect(
        reminder_notification("goal", GOAL, text),
        notification_type="ai_motivation",
        keys={"type", "itemType", "itemId", "deepLink"},
        data_type="ai_motivation",
        deep_link=G,
        entity=("goal", GOAL),
    )
    challenge = reminder_notification("challenge", CHALLENGE, text)
    expect(
        challenge,
        notification_type="ai_motivation",
        keys={"type", "itemType", "itemId", "deepLink"},
        data_type="ai_motivation",
        deep_link=C,
        entity=("challenge", CHALLENGE),
    )
    assert challenge.data["itemType"] == "challenge"
    assert challenge.data["itemId"] == str(CHALLENGE)


def test_checkin_prompt_and_followup_open_the_checkin_sheet() -> None:
    for builder, subtype in (
        (checkin_prompt_notification, "checkin_prompt"),
        (checkin_followup_notification, "checkin_followup"),
    ):
        for style in [*STYLES, "unknown"]:
            content = builder(GOAL, "Morning run", "Sam Lee", style)
            expect(
                content,
                notification_type="reminder",
                keys={"type", "subtype", "goalId", "deepLink"},
                data_type="reminder",
                deep_link=f"{G}&openCheckIn=true",
                entity=("goal", GOAL),
            )
            assert content.data["subtype"] == subtype
            assert content.data["goalId"] == str(GOAL)
            assert "Morning run" in content.title + content.body


def test_morning_motivation_with_one_goal_names_it_and_its_streak() -> None:
    content = morning_motivation_notification([MorningGoal(GOAL, "Meditate", 12)], "Sam", "calm")
    expect(
        content,
        notification_type="ai_motivation",
        keys={"type", "goalId", "deepLink"},
        data_type="goal_prep",
        deep_link=G,
        entity=("goal", GOAL),
    )
    assert "Meditate" in content.body
    assert "12" in content.body
    assert "Sam" in content.title


def test_morning_motivation_with_several_goals_lists_three_and_counts_the_rest() -> None:
    goals = [MorningGoal(uuid4(), title, 0) for title in ["Run", "Read", "Stretch", "Water", "Sleep"]]
    content = morning_motivation_notification(goals, None, "tough_love")
    expect(
        content,
        notification_type="ai_motivation",
        keys={"type", "deepLink"},
        data_type="goal_prep",
        deep_link="/(user)/(tabs)/home",
        entity=None,
    )
    assert content.body == "5 goals today: Run, Read, Stretch (+2 more)"
    assert morning_motivation_notification(goals[:3], None, None).body == "3 goals today: Run, Read, Stretch"
    assert morning_motivation_notification(goals[:2], None, None).body == "2 goals today: Run, Read"
    with pytest.raises(ValueError, match="at least one goal"):
        morning_motivation_notification([], "Sam", "calm")


@pytest.mark.parametrize("style", [*STYLES, "unknown", None])
@pytest.mark.parametrize("streak", [0, 1, 40])
def test_morning_motivation_renders_in_every_style(style: str | None, streak: int) -> None:
    content = morning_motivation_notification([MorningGoal(GOAL, "Yoga", streak)], "Ana", style)
    assert "Yoga" in content.body
    assert "{" not in content.title + content.body


def test_streak_milestone_has_a_line_per_milestone() -> None:
    assert tuple(MILESTONE_LINES) == STREAK_MILESTONES
    assert len(set(MILESTONE_LINES.values())) == len(STREAK_MILESTONES)
    for milestone in STREAK_MILESTONES:
        content = streak_milestone_notification(GOAL, "Push-ups", milestone)
        expect(
            content,
            notification_type="streak_milestone",
            keys={"type", "goalId", "streak", "deepLink"},
            data_type="streak_milestone",
            deep_link=G,
            entity=("goal", GOAL),
        )
        assert content.data["streak"] == milestone
        assert MILESTONE_LINES[milestone] in content.body
    with pytest.raises(ValueError, match="not a streak milestone"):
        streak_milestone_notification(GOAL, "Push-ups", 8)


@pytest.mark.parametrize(
    ("missed", "phrase"),
    [
        (7, "We miss you"),
        (12, "We miss you"),
        (3, "Don't break the chain"),
        (6, "Don't break the chain"),
        (2, "Quick check-in"),
        (0, "Quick check-in"),
    ],
)
def test_reengagement_is_worded_by_missed_count(missed: int, phrase: str) -> None:
    content = reengagement_notification(missed, "Sam")
    expect(
        content,
        notification_type="reengagement",
        keys={"type", "deepLink"},
        data_type="reengagement",
        deep_link="/(user)/(tabs)",
        entity=None,
    )
    assert phrase in content.title


def test_subscription_expired_says_what_was_archived_and_cancelled() -> None:
    content = subscription_expired_notification(goals_archived=3, challenges_cancelled=1, challenges_left=0)
    expect(
        content,
        notification_type="subscription",
        keys={"type", "deepLink"},
        data_type="subscription_expired",
        deep_link="/(user)/(tabs)/profile",
        entity=None,
    )
    assert "archived 3 goals" in content.body
    assert "cancelled 1 challenge you created" in content.body
    assert "paus" not in content.body  # trap 13: goals are archived, not paused
    assert "archived" not in subscription_expired_notification(0, 0, 0).body


def test_billing_issue_and_expiry_warning_carry_the_instants() -> None:
    grace = datetime(2025, 3, 5, 6, 0, tzinfo=UTC)  # still March 4 in Los Angeles
    billing = billing_issue_notification(grace, "America/Los_Angeles")
    expect(
        billing,
        notification_type="subscription",
        keys={"type", "graceEndsAt", "deepLink"},
        data_type="billing_issue",
        deep_link="/(user)/(tabs)/profile",
        entity=None,
    )
    assert billing.data["graceEndsAt"] == "2025-03-05T06:00:00Z"
    assert "March 4" in billing.body
    warning = expiry_warning_notification(grace, "Europe/London")
    expect(
        warning,
        notification_type="subscription",
        keys={"type", "expiresAt", "deepLink"},
        data_type="subscription_expiry_warning",
        deep_link="/(user)/(tabs)/profile",
        entity=None,
    )
    assert warning.data["expiresAt"] == "2025-03-05T06:00:00Z"
    assert "March 5" in warning.body


def test_partner_request_and_accepted_name_the_sender() -> None:
    keys = {"type", "sender_id", "sender_name", "partnership_id", "deepLink"}
    expect(
        partner_request_notification(USER, "Kim", PARTNERSHIP),
        notification_type="partner_request",
        keys=keys,
        data_type="partner_request",
        deep_link="/(user)/profile/partners?tab=received",
        entity=("partner_request", PARTNERSHIP),
    )
    accepted = partner_accepted_notification(OTHER, "Lee", PARTNERSHIP)
    expect(
        accepted,
        notification_type="partner_accepted",
        keys=keys,
        data_type="partner_accepted",
        deep_link=f"/(user)/profile/partner/{OTHER}?partnershipId={PARTNERSHIP}",
        entity=("partner_accepted", PARTNERSHIP),
    )
    assert accepted.data["sender_id"] == str(OTHER)


@pytest.mark.parametrize(
    ("nudge_type", "notification_type"),
    [
        ("nudge", "partner_nudge"),
        ("competitive", "partner_nudge"),
        ("custom", "partner_nudge"),
        ("cheer", "partner_cheer"),
        ("milestone", "partner_milestone"),
    ],
)
def test_partner_nudges_name_the_sender_and_use_the_partner_activity_category(
    nudge_type: str, notification_type: str
) -> None:
    content = partner_nudge_notification(
        nudge_id=ROW,
        nudge_type=nudge_type,
        sender_id=USER,
        sender_name="Kim",
        partnership_id=PARTNERSHIP,
        goal_id=GOAL,
        emoji="fire",
        message=None,
    )
    expect(
        content,
        notification_type=notification_type,
        keys={"type", "sender_id", "sender_name", "partnership_id", "goal_id", "deepLink"},
        data_type=notification_type,
        deep_link="/(user)/profile/activity",
        entity=("nudge", ROW),
        ios_category="partner_activity",
    )
    assert "Kim" in content.body
    assert "🔥" in content.title
    assert content.data["goal_id"] == str(GOAL)


def test_partner_nudge_shows_the_message_when_given() -> None:
    content = partner_nudge_notification(
        nudge_id=ROW,
        nudge_type="custom",
        sender_id=USER,
        sender_name="Kim",
        partnership_id=PARTNERSHIP,
        goal_id=None,
        emoji=None,
        message="  See you at the gym!  ",
    )
    assert content.body == "See you at the gym!"
    assert content.data["goal_id"] is None


def test_partner_milestone_names_one_badge_or_counts_several() -> None:
    one = partner_achievements_notification(
        user_achievement_id=ROW,
        unlocker_id=USER,
        unlocker_name="Kim",
        partnership_id=PARTNERSHIP,
        badge_names=["Week Warrior"],
    )
    expect(
        one,
        notification_type="partner_milestone",
        keys={"type", "sender_id", "sender_name", "partnership_id", "goal_id", "deepLink"},
        data_type="partner_milestone",
        deep_link="/(user)/profile/partners",
        entity=("achievement", ROW),
        ios_category="partner_activity",
    )
    assert "Kim unlocked Week Warrior" in one.body
    several = partner_achievements_notification(
        user_achievement_id=ROW,
        unlocker_id=USER,
        unlocker_name="Kim",
        partnership_id=PARTNERSHIP,
        badge_names=["A", "B", "C"],
    )
    assert "3 achievements" in several.body


def test_partner_inactive_points_at_the_quiet_partner() -> None:
    content = partner_inactive_notification(OTHER, "Lee", PARTNERSHIP, 4)
    expect(
        content,
        notification_type="partner_inactive",
        keys={"type", "partnerId", "partnershipId", "daysInactive", "deepLink"},
        data_type="partner_inactive",
        deep_link="/(user)/profile/partners",
        entity=("user", OTHER),
    )
    assert content.data["daysInactive"] == 4


def test_achievement_and_recap_notices_carry_their_row_ids() -> None:
    badge = achievement_notification(ROW, "streak_7", "Week Warrior", "Seven days in a row")
    expect(
        badge,
        notification_type="achievement",
        keys={"type", "achievementId", "badgeKey", "deepLink"},
        data_type="achievement",
        deep_link="/(user)/profile/achievements",
        entity=("achievement", ROW),
    )
    assert "Week Warrior" in badge.title
    recap = weekly_recap_notification(ROW, date(2024, 6, 3), 3, 4, Decimal("71.43"))
    expect(
        recap,
        notification_type="weekly_recap",
        keys={"type", "recapId", "weekStart", "deepLink"},
        data_type="weekly_recap",
        deep_link="/(user)/profile/weekly-recaps",
        entity=("weekly_recap", ROW),
        ios_category="weekly_recap",
    )
    assert recap.data["weekStart"] == "2024-06-03"
    assert "3 of 4" in recap.body
    assert "71%" in recap.body


def test_challenge_notices_carry_the_spec_keys_and_reasons() -> None:
    invite = challenge_invite_notification(CHALLENGE, "30-day plank", ROW, USER, "Kim")
    expect(
        invite,
        notification_type="challenge_invite",
        keys={"type", "challengeId", "inviteId", "inviterId", "deepLink"},
        data_type="challenge_invite",
        deep_link="/(user)/challenges/invites",
        entity=("challenge", CHALLENGE),
    )
    assert invite.body == "Kim invited you to 30-day plank."
    for reason, phrase in [
        ("creator_subscription_expired", "Premium plan ended"),
        ("no_participants", "Nobody joined"),
        ("Moving house", "by its creator"),
    ]:
        cancelled = challenge_cancelled_notification(CHALLENGE, "30-day plank", reason)
        expect(
            cancelled,
            notification_type="challenge",
            keys={"type", "challenge_id", "reason", "deepLink"},
            data_type="challenge_cancelled",
            deep_link=C,
            entity=("challenge", CHALLENGE),
        )
        assert phrase in cancelled.body
        assert cancelled.data["reason"] == reason
    for kind in ("ending_soon", "final_day"):
        ending = challenge_ending_notification(CHALLENGE, "30-day plank", kind, date(2024, 6, 8))
        expect(
            ending,
            notification_type="challenge_ending",
            keys={"type", "challengeId", "messageType", "deepLink"},
            data_type="challenge_reminder",
            deep_link=C,
            entity=("challenge", CHALLENGE),
        )
        assert ending.data["messageType"] == kind
    assert "June 8" in challenge_ending_notification(CHALLENGE, "Plank", "ending_soon", date(2024, 6, 8)).body


@pytest.mark.parametrize(
    ("is_winner", "winners", "phrase"),
    [(True, 1, "You won"), (True, 2, "tie"), (False, 1, "finished #3 with 40")],
)
def test_challenge_results_distinguish_sole_win_tie_and_rank(
    is_winner: bool, winners: int, phrase: str
) -> None:
    content = challenge_result_notification(
        CHALLENGE, "Plank", rank=1 if is_winner else 3, points=40, is_winner=is_winner, winner_count=winners
    )
    expect(
        content,
        notification_type="challenge_ended",
        keys={"type", "challengeId", "rank", "points", "isWinner", "deepLink"},
        data_type="challenge_completed",
        deep_link=C,
        entity=("challenge", CHALLENGE),
    )
    assert phrase in content.title + content.body
    assert content.data["isWinner"] is is_winner


def test_three_reminder_templates_per_style_each_naming_goal_and_user() -> None:
    assert set(REMINDER_TEMPLATES) == set(MotivationStyle)
    for style in MotivationStyle:
        rendered = {reminder_template(style, "Swim", "Ana Ruiz", variant) for variant in range(3)}
        assert len(rendered) == 3
        for text in rendered:
            assert "Swim" in text.title
            assert "Ana" in text.body
            assert "Ruiz" not in text.body  # the first name only
            assert len(text.title) <= REMINDER_TITLE_MAX
            assert len(text.body) <= REMINDER_BODY_MAX


@FAST
@given(st.sampled_from([*STYLES, "Calm", "tough love", ""]) | st.text(max_size=12), st.integers(0, 100))
def test_unknown_style_falls_back_to_supportive(style: str, variant: int) -> None:
    expected_style = style if style in STYLES else "supportive"
    assert reminder_template(style, "Swim", "Ana", variant) == reminder_template(
        expected_style, "Swim", "Ana", variant
    )
    assert motivation_style_of(None) is MotivationStyle.SUPPORTIVE


def test_missing_name_reads_champion() -> None:
    assert first_name(None) == "Champion"
    assert first_name("   ") == "Champion"
    assert "Champion" in reminder_template("calm", "Swim", "", 0).body


def test_long_texts_are_cut_to_the_push_limits() -> None:
    content = reminder_notification("goal", GOAL, ReminderText("T" * 80, "B" * 300))
    assert len(content.title) == REMINDER_TITLE_MAX
    assert len(content.body) == REMINDER_BODY_MAX
    assert content.body.endswith("…")


def test_checkin_replies_cover_every_style_status_and_band() -> None:
    for style in MotivationStyle:
        for status in AnswerStatus:
            assert set(CHECKIN_REPLIES[style][status]) == set(StreakBand)
            for streak_before in (0, 1, 3, 6, 7, 29, 30, 400):
                reply = checkin_reply(style, status, streak_before, name="Sam Lee", goal_title="Read")
                assert "Sam" in reply
                assert "Read" in reply
                assert not re.search(r"[{}]", reply)
                assert " 0 day" not in reply
                assert " 0-day" not in reply


def test_checkin_reply_bands_and_fallback() -> None:
    assert [streak_band(n) for n in (0, 2, 3, 6, 7, 29, 30)] == [
        StreakBand.STARTING,
        StreakBand.STARTING,
        StreakBand.BUILDING,
        StreakBand.BUILDING,
        StreakBand.STRONG,
        StreakBand.STRONG,
        StreakBand.LEGENDARY,
    ]
    # A completion talks about the new streak: 6 before → 7 now (the strong band).
    assert "7-day streak" in checkin_reply("supportive", "completed", 6, name="Sam", goal_title="Read")
    assert checkin_reply("zen", "skipped", 10, name="Sam", goal_title="Read") == checkin_reply(
        "supportive", "skipped", 10, name="Sam", goal_title="Read"
    )


def test_content_requires_entity_columns_together_and_routing_keys() -> None:
    with pytest.raises(ValueError, match="both set or both None"):
        NotificationContent(
            NotificationType.GENERAL,
            "t",
            "b",
            {"type": "general", "deepLink": "/"},
            entity_type=EntityType.GOAL,
        )
    with pytest.raises(ValueError, match="deepLink"):
        NotificationContent(NotificationType.GENERAL, "t", "b", {"type": "general"})


def test_emoji_names_become_characters_and_daily_limits_match_the_spec() -> None:
    assert emoji_character("clap") == "👏"
    assert emoji_character("bicep") == "💪"
    assert emoji_character("🦄") == "🦄"
    assert emoji_character(None) is None
    assert dict(DAILY_NUDGE_LIMITS) == {"nudge": 1, "competitive": 3, "custom": 5}
    assert notification_type_for_nudge("competitive") == "partner_nudge"
