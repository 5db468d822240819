"""The caller's own account: how it is shown (User shape) and how profile edits are applied.

A timezone change moves every due instant that depends on the zone: the reminder slots (goals
engine) and the morning-motivation instant; a morning setting change moves the latter.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any
from uuid import UUID

from litestar.exceptions import NotAuthorizedException
from msgspec import UNSET, structs
from sqlalchemy.ext.asyncio import AsyncConnection

from api.users.schemas import ProfileUpdateIn, UserOut
from db.daily_checkins import realign_user_pending_checkins
from db.reminder_slots import rebuild_user_slots
from db.users import UserProfile, fetch_profile, refresh_morning_motivation, update_profile, username_taken
from domain.errors import InvalidInput, RuleBroken
from domain.local_time import format_hhmm, load_timezone, local_today, parse_time_of_day
from domain.plans import effective_plan

MORNING_FIELDS = frozenset({"morning_motivation_enabled", "morning_motivation_time"})


def user_out(profile: UserProfile) -> UserOut:
    return UserOut(
        id=profile.id,
        email=profile.email,
        auth_provider=profile.auth_provider,
        email_verified=profile.email_verified,
        username=profile.username,
        name=profile.name,
        profile_picture_url=profile.profile_picture_url,
        bio=profile.bio,
        timezone=profile.timezone,
        language=profile.language,
        country=profile.country,
        status=profile.status,
        role=profile.role,
        motivation_style=profile.motivation_style,
        morning_motivation_enabled=profile.morning_motivation_enabled,
        morning_motivation_time=format_hhmm(profile.morning_motivation_time),
        plan=effective_plan(profile.subscription_status).value,
        referral_code=profile.referral_code,
        onboarding_completed_at=profile.onboarding_completed_at,
        created_at=profile.created_at,
        updated_at=profile.updated_at,
        last_login_at=profile.last_login_at,
        linked_providers=profile.linked_providers,
        has_password=profile.has_password,
    )


async def load_user(connection: AsyncConnection, user_id: UUID) -> UserOut:
    """The caller's User; 401 when the token outlived its account (deleted since it was issued)."""
    profile = await fetch_profile(connection, user_id)
    if profile is None:
        raise NotAuthorizedException("This account no longer exists.")
    return user_out(profile)


def _profile_columns(update: ProfileUpdateIn) -> dict[str, Any]:
    """The given fields, validated beyond their shape and in their stored form."""
    changes = {name: value for name, value in structs.asdict(update).items() if value is not UNSET}
    if "timezone" in changes:
        load_timezone(changes["timezone"])
    if "morning_motivation_time" in changes:
        changes["morning_motivation_time"] = parse_time_of_day(changes["morning_motivation_time"])
    if changes.get("country") is not None:
        changes["country"] = changes["country"].upper()
    if "name" in changes:
        changes["name"] = clean_name(changes["name"])
    return changes


def clean_name(name: str) -> str:
    """A display name without surrounding blanks; 422 when nothing is left."""
    cleaned = name.strip()
    if not cleaned:
        raise InvalidInput("The name cannot be blank.", code="name_blank")
    return cleaned


async def apply_profile_update(
    connection: AsyncConnection, user_id: UUID, update: ProfileUpdateIn, *, now: datetime
) -> None:
    changes = _profile_columns(update)
    if not changes:
        return
    if "username" in changes and await username_taken(connection, changes["username"], other_than=user_id):
        raise RuleBroken("This username is already taken.", code="username_taken")
    if not await update_profile(connection, user_id, changes, now=now):
        raise NotAuthorizedException("This account no longer exists.")
    if "timezone" in changes:
        await rebuild_user_slots(connection, [user_id], now=now)
        new_today = local_today(changes["timezone"], now)
        await realign_user_pending_checkins(connection, user_id, local_date=new_today)
    if "timezone" in changes or MORNING_FIELDS & changes.keys():
        await refresh_morning_motivation(connection, [user_id], now=now)
