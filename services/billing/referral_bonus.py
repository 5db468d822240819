"""The referral bonus (docs/domain.md §3.13): when a referred user first pays, their referrer gets
REFERRAL_BONUS of premium, once per referred user, in the transaction of the billing event."""

from __future__ import annotations

from datetime import datetime
from uuid import UUID

from db.referrals import claim_referral_bonus
from db.subscriptions import grant_bonus_premium, promote_plan_cache
from domain.referrals import REFERRAL_BONUS, REFERRAL_BONUS_PROVIDER
from services.transaction import Transaction

__all__ = ["credit_referral_bonus"]


async def credit_referral_bonus(tx: Transaction, referred_id: UUID, *, now: datetime) -> UUID | None:
    """Credit the referrer of `referred_id`, if they have one and were not credited for them yet;
    returns the referrer credited. A referrer whose store subscription still stands keeps it as it is
    (their bonus is recorded but adds no days: the store's next event would overwrite local days)."""
    referrer = await claim_referral_bonus(tx.connection, referred_id, now=now)
    if referrer is None:
        return None
    if await grant_bonus_premium(
        tx.connection, referrer, provider=REFERRAL_BONUS_PROVIDER, length=REFERRAL_BONUS, now=now
    ):
        await promote_plan_cache(tx.connection, [referrer], now=now)
    return referrer
