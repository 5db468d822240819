"""Who may use the AI coach and how much today (docs/coach.md, "Access and limits"): every coach
route needs the effective plan's `ai_coach_chat` (403 otherwise); its value is the daily message limit
before the day's rewarded-ad bonus, counted on the caller's local date."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, timedelta
from uuid import UUID

from sqlalchemy.ext.asyncio import AsyncConnection

from db.coach_usage import coach_caller
from db.plan_limits import features_of_plan
from domain.coach_limits import plan_daily_messages
from domain.errors import NotFound, PlanLimitReached
from domain.local_time import local_midnight_utc, local_today
from domain.plans import Feature, PlanId

__all__ = ["CoachAccess", "coach_access", "require_coach"]


@dataclass(frozen=True, slots=True)
class CoachAccess:
    has_access: bool
    is_premium: bool
    # The plan's messages a day, before the day's bonus (an unlimited plan counts as 9999).
    plan_limit: int
    # The caller's local date now, and the UTC instant at which the next one starts.
    usage_date: date
    resets_at: datetime


async def coach_access(connection: AsyncConnection, user_id: UUID, *, now: datetime) -> CoachAccess:
    """The caller's coach access and local day at `now` (404 when the account is gone)."""
    caller = await coach_caller(connection, user_id)
    if caller is None:
        raise NotFound("User not found.", code="user_not_found")
    features = await features_of_plan(connection, caller.plan)
    usage_date = local_today(caller.timezone, now)
    return CoachAccess(
        has_access=features.has(Feature.AI_COACH_CHAT),
        is_premium=caller.plan == PlanId.PREMIUM,
        plan_limit=plan_daily_messages(features.limit(Feature.AI_COACH_CHAT)),
        usage_date=usage_date,
        resets_at=local_midnight_utc(usage_date + timedelta(days=1), caller.timezone),
    )


async def require_coach(connection: AsyncConnection, user_id: UUID, *, now: datetime) -> CoachAccess:
    """`coach_access`, or 403 when the caller's effective plan lacks the coach."""
    access = await coach_access(connection, user_id, now=now)
    if not access.has_access:
        raise PlanLimitReached("The AI coach is not part of your plan.", code="ai_coach_feature_required")
    return access
