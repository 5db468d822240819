"""Request and response bodies of /onboarding."""

from __future__ import annotations

from uuid import UUID

import msgspec

from api.users.schemas import Name, TimeOfDay
from domain.motivation_style import MotivationStyle


class OnboardingIn(msgspec.Struct, forbid_unknown_fields=True):
    name: Name
    motivation_style: MotivationStyle
    morning_motivation_enabled: bool | None = None
    morning_motivation_time: TimeOfDay | None = None


class OnboardingOut(msgspec.Struct):
    success: bool
    user_id: UUID
    first_name: str
    motivation_style: str
    morning_motivation_enabled: bool
    onboarding_completed: bool
