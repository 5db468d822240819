"""The AI coach's daily quota on the user's local date (ai_coach_daily_usage) and the rewarded-ad
claims (ai_coach_ad_rewards); docs/coach.md, "Limits".

A message is counted when it is accepted, not when its reply is stored: `reserve_message` adds it in
one statement that also checks the limit, so concurrent sends of one user wait on the day's row and
exactly the limit gets through. A turn that fails for good gives its message back
(`release_message_quota`, once per message; or `release_reserved_message` for a known day).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from typing import Final
from uuid import UUID

import sqlalchemy as sa
from sqlalchemy.dialects import postgresql
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.ext.asyncio import AsyncConnection

from db.tables import ai_coach_ad_rewards, ai_coach_daily_usage, ai_coach_messages, users

__all__ = [
    "CoachCaller",
    "DailyUsage",
    "add_bonus_messages",
    "claimed_reward",
    "coach_caller",
    "locked_usage",
    "record_reward",
    "release_message_quota",
    "release_reserved_message",
    "reserve_message",
    "usage_on",
]

_UUID = postgresql.UUID(as_uuid=True)
_USAGE = ai_coach_daily_usage.c
_OWNER = sa.bindparam("owner_id", type_=_UUID)
_DAY = sa.bindparam("day", type_=sa.Date)
_NOW = sa.bindparam("now", type_=sa.DateTime(timezone=True))


@dataclass(frozen=True, slots=True)
class CoachCaller:
    """What every coach route needs of its caller: the effective plan and the zone of the local day."""

    plan: str
    timezone: str


async def coach_caller(connection: AsyncConnection, user_id: UUID) -> CoachCaller | None:
    row = (
        await connection.execute(sa.select(users.c.plan, users.c.timezone).where(users.c.id == user_id))
    ).first()
    return None if row is None else CoachCaller(plan=row.plan, timezone=row.timezone)


@dataclass(frozen=True, slots=True)
class DailyUsage:
    message_count: int = 0
    bonus_messages: int = 0


_USAGE_ON: Final = sa.select(_USAGE.message_count, _USAGE.bonus_messages).where(
    _USAGE.user_id == _OWNER, _USAGE.usage_date == _DAY
)


async def usage_on(connection: AsyncConnection, user_id: UUID, usage_date: date) -> DailyUsage:
    """The day's counts (zero when nothing was sent or unlocked that day)."""
    row = (await connection.execute(_USAGE_ON, {"owner_id": user_id, "day": usage_date})).first()
    return DailyUsage() if row is None else DailyUsage(row.message_count, row.bonus_messages)


def _reserve_statement() -> sa.Insert:
    statement = insert(ai_coach_daily_usage).values(user_id=_OWNER, usage_date=_DAY, message_count=1)
    excluded_limit = sa.bindparam("plan_limit", type_=sa.Integer) + ai_coach_daily_usage.c.bonus_messages
    return statement.on_conflict_do_update(
        index_elements=[_USAGE.user_id, _USAGE.usage_date],
        set_={"message_count": _USAGE.message_count + 1, "updated_at": _NOW},
        # Checked on the locked row: a concurrent send waits for this one and sees its count.
        where=_USAGE.message_count < excluded_limit,
    ).returning(_USAGE.message_count, _USAGE.bonus_messages)


_RESERVE: Final = _reserve_statement()


async def reserve_message(
    connection: AsyncConnection, user_id: UUID, usage_date: date, *, plan_limit: int, now: datetime
) -> DailyUsage | None:
    """Count one message on the local day when it fits under `plan_limit` + the day's bonus; the counts
    after it, or None (nothing written) when the day's limit is used up."""
    if plan_limit < 1:  # no plan grants the coach with 0 messages (403 first); never write past it
        return None
    row = (
        await connection.execute(
            _RESERVE, {"owner_id": user_id, "day": usage_date, "plan_limit": plan_limit, "now": now}
        )
    ).first()
    return None if row is None else DailyUsage(row.message_count, row.bonus_messages)


_RELEASE: Final = (
    sa.update(ai_coach_daily_usage)
    .where(_USAGE.user_id == _OWNER, _USAGE.usage_date == _DAY, _USAGE.message_count > 0)
    .values(message_count=_USAGE.message_count - 1, updated_at=sa.func.now())
)


async def release_reserved_message(connection: AsyncConnection, user_id: UUID, usage_date: date) -> None:
    """Give back one message of `usage_date` (the user message's `quota_date`): its turn failed for good."""
    await connection.execute(_RELEASE, {"owner_id": user_id, "day": usage_date})


def _release_message_statement() -> sa.Update:
    # Clearing the message's quota_date and giving the day's message back in one statement: a second
    # release of the same message (the worker and the sweeper both giving up) finds nothing to clear.
    # RETURNING shows the updated row: the date it held is read from the locked row beside it.
    held = (
        sa.select(ai_coach_messages.c.id, ai_coach_messages.c.user_id, ai_coach_messages.c.quota_date)
        .where(
            ai_coach_messages.c.id == sa.bindparam("message", type_=_UUID),
            ai_coach_messages.c.quota_date.is_not(None),
        )
        .with_for_update()
        .subquery("held")
    )
    released = (
        sa.update(ai_coach_messages)
        .where(ai_coach_messages.c.id == held.c.id)
        .values(quota_date=None)
        .returning(held.c.user_id, held.c.quota_date)
        .cte("released")
    )
    return (
        sa.update(ai_coach_daily_usage)
        .where(
            _USAGE.user_id == released.c.user_id,
            _USAGE.usage_date == released.c.quota_date,
            _USAGE.message_count > 0,
        )
        .values(message_count=_USAGE.message_count - 1, updated_at=sa.func.now())
    )


_RELEASE_MESSAGE: Final = _release_message_statement()


async def release_message_quota(connection: AsyncConnection, message_id: UUID) -> bool:
    """Give back the message that the user message `message_id` reserved, unless already given back;
    whether a message was given back."""
    return (await connection.execute(_RELEASE_MESSAGE, {"message": message_id})).rowcount > 0


# ON CONFLICT DO UPDATE locks the existing row as well: one statement that creates the day's row when
# missing and holds it until commit, so two unlocks of one user on one day run one after the other.
_LOCKED_USAGE: Final = (
    insert(ai_coach_daily_usage)
    .values(user_id=_OWNER, usage_date=_DAY)
    .on_conflict_do_update(
        index_elements=[_USAGE.user_id, _USAGE.usage_date], set_={"updated_at": _USAGE.updated_at}
    )
    .returning(_USAGE.message_count, _USAGE.bonus_messages)
)


async def locked_usage(connection: AsyncConnection, user_id: UUID, usage_date: date) -> DailyUsage:
    """The day's counts, with its row created if needed and locked until the transaction ends."""
    row = (await connection.execute(_LOCKED_USAGE, {"owner_id": user_id, "day": usage_date})).one()
    return DailyUsage(row.message_count, row.bonus_messages)


_ADD_BONUS: Final = (
    sa.update(ai_coach_daily_usage)
    .where(_USAGE.user_id == _OWNER, _USAGE.usage_date == _DAY)
    .values(bonus_messages=_USAGE.bonus_messages + sa.bindparam("amount", type_=sa.Integer), updated_at=_NOW)
    .returning(_USAGE.message_count, _USAGE.bonus_messages)
)


async def add_bonus_messages(
    connection: AsyncConnection, user_id: UUID, usage_date: date, amount: int, *, now: datetime
) -> DailyUsage:
    """Add `amount` bonus messages to the day's row (created by `locked_usage` in this transaction)."""
    parameters = {"owner_id": user_id, "day": usage_date, "amount": amount, "now": now}
    row = (await connection.execute(_ADD_BONUS, parameters)).one()
    return DailyUsage(row.message_count, row.bonus_messages)


_CLAIMED: Final = sa.select(ai_coach_ad_rewards.c.messages_unlocked).where(
    ai_coach_ad_rewards.c.user_id == _OWNER,
    ai_coach_ad_rewards.c.reward_id == sa.bindparam("reward", type_=sa.Text),
)


async def claimed_reward(connection: AsyncConnection, user_id: UUID, reward_id: str) -> int | None:
    """How many messages the ad `reward_id` already unlocked for the user, or None when never claimed."""
    return (await connection.execute(_CLAIMED, {"owner_id": user_id, "reward": reward_id})).scalar()


async def record_reward(
    connection: AsyncConnection, user_id: UUID, reward_id: str, usage_date: date, messages_unlocked: int
) -> None:
    """Remember the claim of ad `reward_id` (its replay then adds nothing)."""
    await connection.execute(
        insert(ai_coach_ad_rewards)
        .values(
            user_id=user_id, reward_id=reward_id, usage_date=usage_date, messages_unlocked=messages_unlocked
        )
        .on_conflict_do_nothing()
    )
