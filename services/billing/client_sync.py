"""The client's subscription sync (docs/domain.md §3.8): a hint from the app's store SDK, never proof.

Only a verified webhook grants premium, so a sync can only notice that premium has ended: the app
says the purchase is inactive and the row's paid period (or grace period) is over. A row that
changed in the last 30 seconds is left alone, since the webhook that changed it knows more than the
app's cached receipt.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Final
from uuid import UUID

from db.subscriptions import SubscriptionRow, lock_subscriptions
from domain.plans import PlanId, SubscriptionStatus, effective_plan
from services.billing.events import expire_subscriptions
from services.billing.teardown import DeactivationReason
from services.transaction import Transaction

__all__ = ["SYNC_QUIET_PERIOD", "SyncResult", "sync_from_client"]

SYNC_QUIET_PERIOD: Final = timedelta(seconds=30)


@dataclass(frozen=True, slots=True)
class SyncResult:
    synced: bool
    message: str
    plan: PlanId
    previous_plan: PlanId | None = None
    new_plan: PlanId | None = None


async def sync_from_client(
    tx: Transaction, user_id: UUID, *, reports_active: bool, now: datetime
) -> SyncResult:
    row = (await lock_subscriptions(tx.connection, [user_id])).get(user_id)
    plan = effective_plan(None if row is None else row.status)
    if row is not None and now - row.updated_at < SYNC_QUIET_PERIOD:
        return SyncResult(False, "The subscription changed moments ago; this sync was ignored.", plan)
    if not reports_active and row is not None and plan is PlanId.PREMIUM and _access_ended(row, now):
        await expire_subscriptions(
            tx, [user_id], reason=DeactivationReason.SUBSCRIPTION_EXPIRED, event=None, now=now
        )
        return SyncResult(True, "Premium has ended.", PlanId.FREE, PlanId.PREMIUM, PlanId.FREE)
    if reports_active and plan is PlanId.FREE:
        return SyncResult(False, "Premium starts once the store confirms the purchase.", plan)
    return SyncResult(True, "The subscription is up to date.", plan)


def _access_ended(row: SubscriptionRow, now: datetime) -> bool:
    """The paid period is over, and so is the grace period when the row is in one."""
    ends_at = (
        row.grace_period_ends_at if row.status == SubscriptionStatus.GRACE_PERIOD else None
    ) or row.expires_date
    return ends_at is not None and ends_at <= now
