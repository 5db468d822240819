from decimal import Decimal

import pytest

from domain.plans import (
    FEATURE_DEFINITIONS,
    PLAN_FEATURE_SEED,
    PLAN_SEED,
    PREMIUM_PRODUCT_IDS,
    Feature,
    FeatureKind,
    PlanFeatures,
    PlanId,
    effective_plan,
    feature_enabled,
    feature_public_value,
    limit_of,
    plan_for_product,
    within_limit,
)

# §3.8, transcribed: the value each plan shows per key (booleans; numbers; None = unlimited).
SPEC_FEATURES: dict[str, tuple[bool | int | None, bool | int | None]] = {
    "active_goal_limit": (2, 10),
    "multiple_reminder_times": (1, 5),
    "accountability_partner_limit": (1, 3),
    "challenge_create": (False, True),
    "challenge_limit": (1, None),
    "ai_coach_chat": (3, 100),
    "ai_checkin_response": (False, True),
    "daily_checkins": (True, True),
    "streak_tracking": (True, True),
    "daily_motivation": (True, True),
    "basic_stats": (True, True),
    "weekly_recap": (False, True),
    "adaptive_nudging": (False, True),
    "pattern_detection": (False, True),
    "advanced_analytics": (False, True),
    "voice_notes": (False, True),
    "voice_note_max_duration": (0, 30),
    "voice_note_max_file_size": (0, 5),
    "priority_support": (False, True),
    "ads": (True, False),
    # Not in §3.8: the client's regenerate switch (docs client-behaviour §5), premium only.
    "unlimited_text_motivation": (False, True),
}


@pytest.mark.parametrize(
    ("status", "plan"),
    [
        ("active", "premium"),
        ("trial", "premium"),
        ("grace_period", "premium"),
        ("expired", "free"),
        (None, "free"),
        ("cancelled", "free"),
    ],
)
def test_effective_plan_is_premium_only_for_live_statuses(status: str | None, plan: str) -> None:
    assert effective_plan(status) == plan


@pytest.mark.parametrize(
    ("is_enabled", "value", "present", "limit"),
    [
        (True, None, True, None),
        (True, 3, True, 3),
        (True, 0, False, 0),
        (False, 5, False, 0),
        (False, None, False, 0),
    ],
)
def test_a_feature_is_present_when_enabled_and_not_zero(
    is_enabled: bool, value: int | None, present: bool, limit: int | None
) -> None:
    assert feature_enabled(is_enabled, value) is present
    assert limit_of(is_enabled, value) == limit


def test_within_limit_treats_none_as_unlimited() -> None:
    assert within_limit(10_000, None)
    assert within_limit(1, 2)
    assert not within_limit(2, 2)


def test_every_plan_lists_every_key_exactly_once() -> None:
    keys = {feature.value for feature in Feature}
    assert keys == set(SPEC_FEATURES)
    for plan in PlanId:
        rows = [row.feature_key for row in PLAN_FEATURE_SEED if row.plan_id == plan]
        assert sorted(rows) == sorted(keys)
    assert len({(row.plan_id, row.feature_key) for row in PLAN_FEATURE_SEED}) == len(PLAN_FEATURE_SEED)


@pytest.mark.parametrize(("plan", "column"), [(PlanId.FREE, 0), (PlanId.PREMIUM, 1)])
def test_seeded_features_match_the_spec_table(plan: PlanId, column: int) -> None:
    kinds = {definition.key: definition.kind for definition in FEATURE_DEFINITIONS}
    shown = {
        row.feature_key.value: feature_public_value(kinds[row.feature_key], row.is_enabled, row.feature_value)
        for row in PLAN_FEATURE_SEED
        if row.plan_id == plan
    }
    assert shown == {key: values[column] for key, values in SPEC_FEATURES.items()}


def test_boolean_features_store_no_value_and_minimum_tier_is_the_cheapest_plan_with_it() -> None:
    kinds = {definition.key: definition.kind for definition in FEATURE_DEFINITIONS}
    free = PlanFeatures.seeded(PlanId.FREE)
    for row in PLAN_FEATURE_SEED:
        if kinds[row.feature_key] is FeatureKind.BOOLEAN:
            assert row.feature_value is None
        assert row.minimum_tier == (0 if free.has(row.feature_key) else 1)
    assert len({row.sort_order for row in PLAN_FEATURE_SEED}) == len(Feature)


def test_plan_rows_match_the_spec() -> None:
    free, premium = (next(plan for plan in PLAN_SEED if plan.id == plan_id) for plan_id in PlanId)
    assert (free.monthly_price, free.annual_price, free.active_goal_limit, free.tier) == (
        Decimal(0),
        Decimal(0),
        2,
        0,
    )
    assert not free.has_trial
    assert not free.exit_offer_enabled
    assert (premium.monthly_price, premium.annual_price) == (Decimal("9.99"), Decimal("79.99"))
    assert (premium.active_goal_limit, premium.tier, premium.has_trial, premium.trial_days) == (
        10,
        1,
        True,
        3,
    )
    assert premium.exit_offer_enabled
    assert (premium.exit_offer_monthly_price, premium.exit_offer_annual_price) == (
        Decimal("4.99"),
        Decimal("39.99"),
    )
    # subscription_plans.active_goal_limit and the feature row agree.
    for plan in PLAN_SEED:
        assert PlanFeatures.seeded(plan.id).limit(Feature.ACTIVE_GOAL_LIMIT) == plan.active_goal_limit


def test_plan_features_answer_presence_and_limits() -> None:
    free, premium = PlanFeatures.seeded(PlanId.FREE), PlanFeatures.seeded(PlanId.PREMIUM)
    assert not free.has(Feature.CHALLENGE_CREATE)
    assert premium.has(Feature.CHALLENGE_CREATE)
    assert free.limit(Feature.CHALLENGE_LIMIT) == 1
    assert premium.limit(Feature.CHALLENGE_LIMIT) is None
    assert free.limit(Feature.VOICE_NOTE_MAX_DURATION) == 0


def test_plan_features_refuse_a_partial_row_set() -> None:
    with pytest.raises(ValueError, match="missing keys"):
        PlanFeatures.from_rows([("ads", True, None)])


def test_premium_products_grant_premium() -> None:
    assert all(plan_for_product(product) == PlanId.PREMIUM for product in PREMIUM_PRODUCT_IDS)
    assert plan_for_product("some.other.product") == PlanId.FREE
    assert plan_for_product(None) == PlanId.FREE
