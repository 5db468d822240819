"""The caller's referral code and the users who signed up with it (§3.13)."""

from __future__ import annotations

from datetime import datetime
from uuid import UUID

from sqlalchemy.ext.asyncio import AsyncConnection

from api.pagination import Page, decode_cursor, encode_cursor, page_of
from api.users.schemas import ReferralCodeOut, ReferredUserOut
from db.referrals import ReferralPosition, ReferredUser, claim_referral_code, referral_code_of, referred_users
from domain.errors import Conflict
from domain.referrals import REFERRAL_CODE_ATTEMPTS, new_referral_code, referral_link


async def own_referral_code(connection: AsyncConnection, user_id: UUID) -> ReferralCodeOut:
    """The caller's code; an account made without one (a sign-up path that does not draw one) gets
    one now, drawing again while the drawn code belongs to someone else."""
    code = await referral_code_of(connection, user_id)
    attempts = 0
    while code is None:
        if attempts == REFERRAL_CODE_ATTEMPTS:
            raise Conflict("No referral code could be made; please try again.")
        code = await claim_referral_code(connection, user_id, new_referral_code())
        attempts += 1
    return ReferralCodeOut(referral_code=code, referral_link=referral_link(code))


def _cursor_of(row: ReferredUser) -> str:
    return encode_cursor(row.created_at, row.id)


async def own_referrals(
    connection: AsyncConnection, user_id: UUID, *, limit: int, cursor: str | None
) -> Page[ReferredUserOut]:
    """The users the caller referred, newest first, one keyset page."""
    after = None
    if cursor is not None:
        created_at, row_id = decode_cursor(cursor, datetime, UUID)
        after = ReferralPosition(created_at=created_at, id=row_id)
    rows = await referred_users(connection, user_id, limit=limit + 1, after=after)
    served = page_of(rows, limit, _cursor_of)
    return Page(
        rows=[
            ReferredUserOut(
                id=row.id,
                username=row.username,
                name=row.name,
                created_at=row.created_at,
                referral_bonus_granted_at=row.referral_bonus_granted_at,
            )
            for row in served.rows
        ],
        next_cursor=served.next_cursor,
    )
