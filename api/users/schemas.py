"""Request and response bodies of /users (the User shape of docs/domain.md §5)."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated
from uuid import UUID

import msgspec
from msgspec import UNSET, Meta, UnsetType

from domain.motivation_style import MotivationStyle

# Bounds on what people type; the columns are text, these keep rows and responses small.
Name = Annotated[str, Meta(min_length=1, max_length=100)]
Username = Annotated[str, Meta(pattern=r"^[A-Za-z0-9_]{3,30}$")]
Bio = Annotated[str, Meta(max_length=500)]
TimezoneName = Annotated[str, Meta(min_length=1, max_length=64)]
# BCP 47 shapes such as "en", "pt-BR", "zh-Hant-TW".
Language = Annotated[str, Meta(pattern=r"^[A-Za-z]{2,3}(-[A-Za-z0-9]{2,8}){0,3}$")]
CountryCode = Annotated[str, Meta(pattern=r"^[A-Za-z]{2}$")]
# One of the app's 48 built-in avatars ("avatar_1" … "avatar_48", drawn by the app) or an https image
# (§3.13).
PictureUrl = Annotated[
    str, Meta(pattern=r"^(avatar_([1-9]|[1-3][0-9]|4[0-8])|https://\S+)$", max_length=2048)
]
TimeOfDay = Annotated[str, Meta(max_length=8)]


class UserOut(msgspec.Struct):
    id: UUID
    email: str
    auth_provider: str
    email_verified: bool
    username: str
    name: str
    profile_picture_url: str | None
    bio: str | None
    timezone: str
    language: str
    country: str | None
    status: str
    role: str
    motivation_style: str
    morning_motivation_enabled: bool
    morning_motivation_time: str
    plan: str
    referral_code: str | None
    onboarding_completed_at: datetime | None
    created_at: datetime
    updated_at: datetime
    last_login_at: datetime | None
    linked_providers: list[str]
    has_password: bool


class ProfileUpdateIn(msgspec.Struct, forbid_unknown_fields=True):
    """Any subset of the editable fields; a field left out is left unchanged, null clears the
    optional ones."""

    name: Name | UnsetType = UNSET
    username: Username | UnsetType = UNSET
    bio: Bio | UnsetType | None = UNSET
    timezone: TimezoneName | UnsetType = UNSET
    language: Language | UnsetType = UNSET
    country: CountryCode | UnsetType | None = UNSET
    profile_picture_url: PictureUrl | UnsetType | None = UNSET
    motivation_style: MotivationStyle | UnsetType = UNSET
    morning_motivation_enabled: bool | UnsetType = UNSET
    morning_motivation_time: TimeOfDay | UnsetType = UNSET


class MessageOut(msgspec.Struct):
    message: str


class PublicUserOut(msgspec.Struct):
    """Another user as anyone signed in may see them (§3.13); the app reads it through its User type,
    whose other fields it treats as optional."""

    id: UUID
    username: str
    name: str
    profile_picture_url: str | None
    bio: str | None
    created_at: datetime


class UserStatsOut(msgspec.Struct):
    """The app's UserStats. Looking at someone else, the goal and check-in counts are private and come
    back null; the streaks are public (§3.13)."""

    total_goals: int | None
    completed_goals: int | None
    total_check_ins: int | None
    current_streak: int
    longest_streak: int


class ReferralCodeOut(msgspec.Struct):
    referral_code: str
    referral_link: str


class ReferredUserOut(msgspec.Struct):
    id: UUID
    username: str
    name: str
    created_at: datetime
    referral_bonus_granted_at: datetime | None
