"""Plans, features and the effective plan (§3.8), with the seed rows the migration inserts.

A feature is present when its row is enabled and its value is not 0; a NULL value with is_enabled
means unlimited. Every plan lists every feature key, so a lookup never misses.
"""

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from decimal import Decimal
from enum import IntEnum, StrEnum
from types import MappingProxyType
from typing import Final

__all__ = [
    "FEATURE_DEFINITIONS",
    "PLAN_FEATURE_SEED",
    "PLAN_SEED",
    "PREMIUM_PRODUCT_IDS",
    "PREMIUM_STATUSES",
    "Feature",
    "FeatureDefinition",
    "FeatureKind",
    "FeatureSetting",
    "PlanFeatureSeed",
    "PlanFeatures",
    "PlanId",
    "PlanSeed",
    "PlanTier",
    "SubscriptionStatus",
    "effective_plan",
    "feature_enabled",
    "feature_public_value",
    "limit_of",
    "plan_for_product",
    "within_limit",
]


class PlanId(StrEnum):
    FREE = "free"
    PREMIUM = "premium"


class PlanTier(IntEnum):
    FREE = 0
    PREMIUM = 1


class SubscriptionStatus(StrEnum):
    ACTIVE = "active"
    TRIAL = "trial"
    GRACE_PERIOD = "grace_period"
    EXPIRED = "expired"


# Statuses that keep premium: a user in a billing grace period keeps access until it ends.
PREMIUM_STATUSES: Final[frozenset[SubscriptionStatus]] = frozenset(
    {SubscriptionStatus.ACTIVE, SubscriptionStatus.TRIAL, SubscriptionStatus.GRACE_PERIOD}
)


def effective_plan(subscription_status: str | None) -> PlanId:
    """Premium for a subscriptions row in active, trial or grace_period; free otherwise (or without a row)."""
    return PlanId.PREMIUM if subscription_status in PREMIUM_STATUSES else PlanId.FREE


class Feature(StrEnum):
    ACTIVE_GOAL_LIMIT = "active_goal_limit"
    MULTIPLE_REMINDER_TIMES = "multiple_reminder_times"
    ACCOUNTABILITY_PARTNER_LIMIT = "accountability_partner_limit"
    CHALLENGE_CREATE = "challenge_create"
    CHALLENGE_LIMIT = "challenge_limit"
    AI_COACH_CHAT = "ai_coach_chat"
    AI_CHECKIN_RESPONSE = "ai_checkin_response"
    DAILY_CHECKINS = "daily_checkins"
    STREAK_TRACKING = "streak_tracking"
    DAILY_MOTIVATION = "daily_motivation"
    BASIC_STATS = "basic_stats"
    WEEKLY_RECAP = "weekly_recap"
    ADAPTIVE_NUDGING = "adaptive_nudging"
    PATTERN_DETECTION = "pattern_detection"
    ADVANCED_ANALYTICS = "advanced_analytics"
    VOICE_NOTES = "voice_notes"
    VOICE_NOTE_MAX_DURATION = "voice_note_max_duration"
    VOICE_NOTE_MAX_FILE_SIZE = "voice_note_max_file_size"
    PRIORITY_SUPPORT = "priority_support"
    ADS = "ads"
    UNLIMITED_TEXT_MOTIVATION = "unlimited_text_motivation"


class FeatureKind(StrEnum):
    BOOLEAN = "boolean"  # on or off; feature_value is NULL
    LIMIT = "limit"  # a number (0 = absent), NULL = unlimited


def feature_enabled(is_enabled: bool, value: int | None) -> bool:
    """A feature is present when enabled and its value is not 0 (NULL = unlimited counts as present)."""
    return is_enabled and value != 0


def limit_of(is_enabled: bool, value: int | None) -> int | None:
    """The limit a feature row grants: 0 when absent, None when unlimited, else the value."""
    return value if feature_enabled(is_enabled, value) else 0


def within_limit(used: int, limit: int | None) -> bool:
    """Whether one more fits: ``used`` items already counted against ``limit`` (None = unlimited)."""
    return limit is None or used < limit


def feature_public_value(kind: FeatureKind, is_enabled: bool, value: int | None) -> bool | int | None:
    """The value /subscriptions/features shows for a key: a boolean, or the limit (null = unlimited)."""
    return feature_enabled(is_enabled, value) if kind is FeatureKind.BOOLEAN else limit_of(is_enabled, value)


@dataclass(frozen=True, slots=True)
class FeatureSetting:
    is_enabled: bool
    value: int | None


class PlanFeatures:
    """One plan's feature rows, read once (and cached by the caller), never per item in a loop."""

    def __init__(self, settings: Mapping[str, FeatureSetting]):
        missing = {feature.value for feature in Feature} - set(settings)
        if missing:
            raise ValueError(f"plan features missing keys: {sorted(missing)}")
        self._settings = dict(settings)

    @classmethod
    def from_rows(cls, rows: Iterable[tuple[str, bool, int | None]]) -> "PlanFeatures":
        """From (feature_key, is_enabled, feature_value) rows of plan_features."""
        return cls({key: FeatureSetting(enabled, value) for key, enabled, value in rows})

    @classmethod
    def seeded(cls, plan: PlanId) -> "PlanFeatures":
        """The seed values of ``plan`` (what a fresh database holds)."""
        return cls.from_rows(
            (row.feature_key, row.is_enabled, row.feature_value)
            for row in PLAN_FEATURE_SEED
            if row.plan_id == plan
        )

    def has(self, feature: Feature) -> bool:
        setting = self._settings[feature]
        return feature_enabled(setting.is_enabled, setting.value)

    def limit(self, feature: Feature) -> int | None:
        setting = self._settings[feature]
        return limit_of(setting.is_enabled, setting.value)


@dataclass(frozen=True, slots=True)
class PlanSeed:
    """A subscription_plans row."""

    id: PlanId
    name: str
    description: str
    monthly_price: Decimal
    annual_price: Decimal
    active_goal_limit: int
    tier: PlanTier
    is_popular: bool
    has_trial: bool
    trial_days: int | None
    is_active: bool
    sort_order: int
    product_id_ios_monthly: str | None
    product_id_ios_annual: str | None
    product_id_android_monthly: str | None
    product_id_android_annual: str | None
    exit_offer_enabled: bool
    exit_offer_monthly_price: Decimal | None
    exit_offer_annual_price: Decimal | None


# Store product ids are not fixed by the spec; these must match App Store Connect / Play Console.
_IOS_MONTHLY, _IOS_ANNUAL = "com.fitnudge.premium.monthly", "com.fitnudge.premium.annual"
_ANDROID_MONTHLY, _ANDROID_ANNUAL = "fitnudge_premium_monthly", "fitnudge_premium_annual"

PLAN_SEED: Final[tuple[PlanSeed, ...]] = (
    PlanSeed(
        id=PlanId.FREE,
        name="Free",
        description="Daily check-ins, streaks and reminders for up to 2 goals.",
        monthly_price=Decimal("0.00"),
        annual_price=Decimal("0.00"),
        active_goal_limit=2,
        tier=PlanTier.FREE,
        is_popular=False,
        has_trial=False,
        trial_days=None,
        is_active=True,
        sort_order=1,
        product_id_ios_monthly=None,
        product_id_ios_annual=None,
        product_id_android_monthly=None,
        product_id_android_annual=None,
        exit_offer_enabled=False,
        exit_offer_monthly_price=None,
        exit_offer_annual_price=None,
    ),
    PlanSeed(
        id=PlanId.PREMIUM,
        name="Premium",
        description="Up to 10 goals, AI coaching and replies, challenges, weekly recaps and insights.",
        monthly_price=Decimal("9.99"),
        annual_price=Decimal("79.99"),
        active_goal_limit=10,
        tier=PlanTier.PREMIUM,
        is_popular=True,
        has_trial=True,
        trial_days=3,  # the trial is offered on the annual product
        is_active=True,
        sort_order=2,
        product_id_ios_monthly=_IOS_MONTHLY,
        product_id_ios_annual=_IOS_ANNUAL,
        product_id_android_monthly=_ANDROID_MONTHLY,
        product_id_android_annual=_ANDROID_ANNUAL,
        exit_offer_enabled=True,
        exit_offer_monthly_price=Decimal("4.99"),
        exit_offer_annual_price=Decimal("39.99"),
    ),
)

PREMIUM_PRODUCT_IDS: Final[frozenset[str]] = frozenset(
    {_IOS_MONTHLY, _IOS_ANNUAL, _ANDROID_MONTHLY, _ANDROID_ANNUAL}
)


def plan_for_product(product_id: str | None) -> PlanId:
    """The plan a store product grants (webhook INITIAL_PURCHASE / PRODUCT_CHANGE)."""
    return PlanId.PREMIUM if product_id in PREMIUM_PRODUCT_IDS else PlanId.FREE


@dataclass(frozen=True, slots=True)
class FeatureDefinition:
    key: Feature
    kind: FeatureKind
    name: str
    description: str
    ai_description: str


@dataclass(frozen=True, slots=True)
class PlanFeatureSeed:
    """A plan_features row."""

    plan_id: PlanId
    feature_key: Feature
    feature_name: str
    feature_description: str
    feature_value: int | None
    is_enabled: bool
    minimum_tier: PlanTier
    sort_order: int
    ai_description: str


def _define(key: Feature, kind: FeatureKind, name: str, description: str, ai: str) -> FeatureDefinition:
    return FeatureDefinition(key, kind, name, description, ai)


_B, _L = FeatureKind.BOOLEAN, FeatureKind.LIMIT
_F = Feature

# In the order of the §3.8 table; sort_order follows it.
FEATURE_DEFINITIONS: Final[tuple[FeatureDefinition, ...]] = (
    _define(
        _F.ACTIVE_GOAL_LIMIT,
        _L,
        "Active goals",
        "Goals you can keep active or paused at once",
        "How many non-archived goals the user may have",
    ),
    _define(
        _F.MULTIPLE_REMINDER_TIMES,
        _L,
        "Reminder times per goal",
        "Reminders a goal can have each day",
        "How many daily reminder times a goal may have",
    ),
    _define(
        _F.ACCOUNTABILITY_PARTNER_LIMIT,
        _L,
        "Accountability partners",
        "Partners who keep you on track",
        "How many accountability partners the user may have",
    ),
    _define(
        _F.CHALLENGE_CREATE,
        _B,
        "Create challenges",
        "Start your own challenges and invite others",
        "Whether the user can create challenges",
    ),
    _define(
        _F.CHALLENGE_LIMIT,
        _L,
        "Challenges joined",
        "Upcoming or active challenges you can join",
        "How many upcoming or active challenges created by others the user may join",
    ),
    _define(
        _F.AI_COACH_CHAT,
        _L,
        "AI coach messages per day",
        "Chat with your AI coach",
        "Daily message quota for the AI coach",
    ),
    _define(
        _F.AI_CHECKIN_RESPONSE,
        _B,
        "AI check-in replies",
        "A personal reply to every check-in",
        "Whether check-in replies are written by the AI instead of templates",
    ),
    _define(
        _F.DAILY_CHECKINS,
        _B,
        "Daily check-ins",
        "Check in on your goals every day",
        "Whether the user can check in",
    ),
    _define(
        _F.STREAK_TRACKING,
        _B,
        "Streak tracking",
        "Track your streaks and personal bests",
        "Whether streaks are tracked",
    ),
    _define(
        _F.DAILY_MOTIVATION,
        _B,
        "Daily motivation",
        "Morning motivation and reminders",
        "Whether the user receives daily motivation",
    ),
    _define(
        _F.BASIC_STATS,
        _B,
        "Basic stats",
        "Completion rates and history",
        "Whether basic statistics are shown",
    ),
    _define(
        _F.WEEKLY_RECAP,
        _B,
        "Weekly recap",
        "An AI summary of your week every Monday",
        "Whether weekly recaps are generated",
    ),
    _define(
        _F.ADAPTIVE_NUDGING,
        _B,
        "Adaptive nudges",
        "Smart nudges when your streak is at risk",
        "Whether adaptive nudges are sent",
    ),
    _define(
        _F.PATTERN_DETECTION,
        _B,
        "Pattern detection",
        "Insights into your risky days",
        "Whether goal patterns and risky days are analysed",
    ),
    _define(
        _F.ADVANCED_ANALYTICS,
        _B,
        "Advanced analytics",
        "Deeper trends and charts",
        "Whether advanced analytics screens are available",
    ),
    _define(
        _F.VOICE_NOTES,
        _B,
        "Voice notes",
        "Record a voice note with a check-in",
        "Whether check-ins accept voice notes",
    ),
    _define(
        _F.VOICE_NOTE_MAX_DURATION,
        _L,
        "Voice note length (seconds)",
        "Longest voice note you can record",
        "Maximum voice note duration in seconds",
    ),
    _define(
        _F.VOICE_NOTE_MAX_FILE_SIZE,
        _L,
        "Voice note size (MB)",
        "Largest voice note file you can upload",
        "Maximum voice note file size in megabytes",
    ),
    _define(
        _F.PRIORITY_SUPPORT,
        _B,
        "Priority support",
        "Faster answers from our team",
        "Whether support requests are prioritised",
    ),
    _define(_F.ADS, _B, "Ads", "Ads are shown in the app", "Whether the app shows ads"),
    # Not in the §3.8 table: the client shows "regenerate" on the daily motivation only with this key
    # (docs client-behaviour §5); added by migration 0014.
    _define(
        _F.UNLIMITED_TEXT_MOTIVATION,
        _B,
        "Fresh daily motivation",
        "Ask for a new daily motivation whenever you like",
        "Whether the user may regenerate their daily motivation",
    ),
)

# (free, premium) per key: True/False for boolean features; for limits an int, None = unlimited,
# and False = absent (stored as is_enabled false, value 0).
_VALUES: Final[Mapping[Feature, tuple[bool | int | None, bool | int | None]]] = MappingProxyType(
    {
        _F.ACTIVE_GOAL_LIMIT: (2, 10),
        _F.MULTIPLE_REMINDER_TIMES: (1, 5),
        _F.ACCOUNTABILITY_PARTNER_LIMIT: (1, 3),
        _F.CHALLENGE_CREATE: (False, True),
        _F.CHALLENGE_LIMIT: (1, None),
        _F.AI_COACH_CHAT: (3, 100),
        _F.AI_CHECKIN_RESPONSE: (False, True),
        _F.DAILY_CHECKINS: (True, True),
        _F.STREAK_TRACKING: (True, True),
        _F.DAILY_MOTIVATION: (True, True),
        _F.BASIC_STATS: (True, True),
        _F.WEEKLY_RECAP: (False, True),
        _F.ADAPTIVE_NUDGING: (False, True),
        _F.PATTERN_DETECTION: (False, True),
        _F.ADVANCED_ANALYTICS: (False, True),
        _F.VOICE_NOTES: (False, True),
        _F.VOICE_NOTE_MAX_DURATION: (False, 30),
        _F.VOICE_NOTE_MAX_FILE_SIZE: (False, 5),
        _F.PRIORITY_SUPPORT: (False, True),
        _F.ADS: (True, False),  # free shows ads, premium has none
        _F.UNLIMITED_TEXT_MOTIVATION: (False, True),
    }
)


def _stored(kind: FeatureKind, raw: bool | int | None) -> tuple[bool, int | None]:
    """(is_enabled, feature_value) for a table cell."""
    if kind is FeatureKind.BOOLEAN:
        return bool(raw), None
    if raw is False:
        return False, 0
    return True, None if raw is None else int(raw)


def _feature_seed() -> tuple[PlanFeatureSeed, ...]:
    rows = []
    for sort_order, definition in enumerate(FEATURE_DEFINITIONS, start=1):
        free_raw, premium_raw = _VALUES[definition.key]
        free_on = feature_enabled(*_stored(definition.kind, free_raw))
        minimum_tier = PlanTier.FREE if free_on else PlanTier.PREMIUM
        for plan_id, raw in ((PlanId.FREE, free_raw), (PlanId.PREMIUM, premium_raw)):
            is_enabled, value = _stored(definition.kind, raw)
            rows.append(
                PlanFeatureSeed(
                    plan_id=plan_id,
                    feature_key=definition.key,
                    feature_name=definition.name,
                    feature_description=definition.description,
                    feature_value=value,
                    is_enabled=is_enabled,
                    minimum_tier=minimum_tier,
                    sort_order=sort_order,
                    ai_description=definition.ai_description,
                )
            )
    return tuple(rows)


PLAN_FEATURE_SEED: Final[tuple[PlanFeatureSeed, ...]] = _feature_seed()
