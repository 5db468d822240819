"""Bonus messages for a rewarded ad (POST /ai-coach/unlock-message; docs/coach.md, "Rewarded ads").

The ad is not verified with AdMob (the app reports it after the SDK says the reward was earned), so
the bonus is bounded instead: at most BONUS_MESSAGES_PER_DAY on one local day (429 once reached; a
claim near the cap gets what is left). A claim that names its ad (`reward_id` or the Idempotency-Key
header) is kept in ai_coach_ad_rewards, and a replay of it answers the first claim's figures and adds
nothing; a claim without one always counts. Premium users see no ads (400), and the only reward type
is "ai_message" (400 otherwise).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from uuid import UUID

from db.coach_usage import add_bonus_messages, claimed_reward, locked_usage, record_reward
from domain.coach_limits import BONUS_MESSAGES_PER_DAY, REWARD_TYPE, daily_limit, remaining_messages
from domain.errors import DailyLimitReached, RuleBroken
from services.coach.access import require_coach
from services.transaction import Transaction

__all__ = ["Unlocked", "unlock_messages"]


@dataclass(frozen=True, slots=True)
class Unlocked:
    messages_unlocked: int
    remaining_messages: int
    daily_limit: int


async def unlock_messages(
    tx: Transaction,
    user_id: UUID,
    *,
    reward_type: str,
    amount: int,
    reward_id: str | None,
    now: datetime,
) -> Unlocked:
    """Add up to `amount` bonus messages to the caller's local day, once per named ad."""
    connection = tx.connection
    access = await require_coach(connection, user_id, now=now)
    if access.is_premium:
        raise RuleBroken(
            "Premium users don't need to watch ads for additional messages.", code="premium_has_no_ads"
        )
    if reward_type != REWARD_TYPE:
        raise RuleBroken(f"Invalid reward type; expected '{REWARD_TYPE}'.", code="invalid_reward_type")
    # The day's row, locked: claims of one user on one day (the same ad twice included) run in turn.
    usage = await locked_usage(connection, user_id, access.usage_date)
    earlier = None if reward_id is None else await claimed_reward(connection, user_id, reward_id)
    if earlier is None:
        if usage.bonus_messages >= BONUS_MESSAGES_PER_DAY:
            raise DailyLimitReached(
                f"Daily bonus limit reached ({BONUS_MESSAGES_PER_DAY} bonus messages). "
                "Upgrade to Premium for more messages!",
                code="ai_coach_bonus_limit",
            )
        granted = min(amount, BONUS_MESSAGES_PER_DAY - usage.bonus_messages)
        usage = await add_bonus_messages(connection, user_id, access.usage_date, granted, now=now)
        if reward_id is not None:
            await record_reward(connection, user_id, reward_id, access.usage_date, granted)
    limit = daily_limit(access.plan_limit, usage.bonus_messages)
    return Unlocked(
        messages_unlocked=granted if earlier is None else earlier,
        remaining_messages=remaining_messages(limit, usage.message_count),
        daily_limit=limit,
    )
