"""Referrals (§3.13): each user's code and who signed up with it.

Who referred whom is users.referred_by_user_id, written only when the referred account is inserted
(db.users.insert_user): one column per referred user, so nobody is credited twice for one sign-up,
and the CHECK `referred_by_user_id <> id` refuses self-referral. Every function is scoped to the user
it is given and never commits.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from uuid import UUID

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncConnection

from db.tables import users
from db.users import ACTIVE_STATUS


@dataclass(frozen=True, slots=True)
class ReferredUser:
    id: UUID
    username: str
    name: str
    created_at: datetime
    referral_bonus_granted_at: datetime | None


@dataclass(frozen=True, slots=True)
class ReferralPosition:
    """Where a page of referred users ends: (created_at, id), newest first."""

    created_at: datetime
    id: UUID


async def referrer_for_code(connection: AsyncConnection, referral_code: str) -> UUID | None:
    """The active account that owns this (normalized) code, if any."""
    statement = sa.select(users.c.id).where(
        users.c.referral_code == referral_code, users.c.status == ACTIVE_STATUS
    )
    user_id: UUID | None = (await connection.execute(statement)).scalar_one_or_none()
    return user_id


async def referral_code_of(connection: AsyncConnection, user_id: UUID) -> str | None:
    statement = sa.select(users.c.referral_code).where(users.c.id == user_id)
    code: str | None = (await connection.execute(statement)).scalar_one_or_none()
    return code


async def claim_referral_code(connection: AsyncConnection, user_id: UUID, candidate: str) -> str | None:
    """Give a user without a code `candidate`, unless another user holds it; the user's code after
    the statement, or None when the candidate was taken (or the user is gone). A concurrent claim of
    the same candidate ends in the unique index's violation (409)."""
    holder = sa.alias(users, "holder")
    statement = (
        sa.update(users)
        .where(
            users.c.id == user_id,
            users.c.referral_code.is_(None),
            ~sa.exists().where(holder.c.referral_code == candidate),
        )
        .values(referral_code=candidate)
        .returning(users.c.referral_code)
    )
    code: str | None = (await connection.execute(statement)).scalar_one_or_none()
    return code


async def referred_users(
    connection: AsyncConnection, referrer_id: UUID, *, limit: int, after: ReferralPosition | None
) -> list[ReferredUser]:
    """The users who signed up with the referrer's code, newest first, after the keyset position."""
    statement = (
        sa.select(
            users.c.id,
            users.c.username,
            users.c.name,
            users.c.created_at,
            users.c.referral_bonus_granted_at,
        )
        .where(users.c.referred_by_user_id == referrer_id)
        .order_by(users.c.created_at.desc(), users.c.id.desc())
        .limit(limit)
    )
    if after is not None:
        statement = statement.where(sa.tuple_(users.c.created_at, users.c.id) < (after.created_at, after.id))
    return [ReferredUser(**row._mapping) for row in await connection.execute(statement)]


async def claim_referral_bonus(
    connection: AsyncConnection, referred_id: UUID, *, now: datetime
) -> UUID | None:
    """Mark the referred user's bonus as granted and return their referrer; None when they have no
    referrer or the bonus was granted before. The conditional UPDATE is the once-only guarantee: a
    concurrent claim waits for the row and then finds the column set."""
    statement = (
        sa.update(users)
        .where(
            users.c.id == referred_id,
            users.c.referred_by_user_id.is_not(None),
            users.c.referral_bonus_granted_at.is_(None),
        )
        .values(referral_bonus_granted_at=now)
        .returning(users.c.referred_by_user_id)
    )
    referrer: UUID | None = (await connection.execute(statement)).scalar_one_or_none()
    return referrer
