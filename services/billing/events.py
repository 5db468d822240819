"""Applying RevenueCat billing events to subscriptions (§3.8): the webhook route and the retry job both
come through `process_webhook_event`.

Each event runs in a savepoint of the caller's transaction: either all of its effects land (row
change, users.plan cache, teardown, notices) and the stored event is marked completed, or none do and
it is marked failed with the error, for the retry job. Events apply in event-time order: the
subscription row is locked and an event older than its last_event_at changes nothing.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, replace
from datetime import datetime
from typing import Any, Final
from uuid import UUID

from db.notifications import NotificationDraft
from db.subscriptions import (
    SubscriptionRow,
    lock_subscriptions,
    promote_plan_cache,
    update_subscriptions,
    upsert_subscription,
)
from db.users import user_timezones
from db.webhook_events import StoredWebhookEvent, finish_webhook_event
from domain.notification_copy.subscription_notices import billing_issue_notification
from domain.plans import PlanId, SubscriptionStatus, plan_for_product
from services.billing.referral_bonus import credit_referral_bonus
from services.billing.revenuecat import BillingEvent, BillingEventType, parse_billing_event, store_product_id
from services.billing.teardown import DeactivationReason, tear_down_lapsed_premium
from services.notify import notify
from services.transaction import Transaction

__all__ = [
    "BillingEventRejected",
    "BillingOutcome",
    "apply_billing_event",
    "expire_subscriptions",
    "process_webhook_event",
]

logger = logging.getLogger(__name__)

PROVIDER: Final = "revenuecat"


class BillingEventRejected(Exception):
    """The event cannot be applied (unknown user, no subscription to change, a needed date missing).
    It is stored as failed and retried: a missing earlier event may have arrived by then."""


@dataclass(frozen=True, slots=True)
class BillingOutcome:
    applied: bool
    # Whose plan an applied event changed, and by which kind of event (product analytics).
    user_id: UUID | None = None
    event_type: str | None = None


_UNCHANGED: Final = BillingOutcome(applied=False)
_APPLIED: Final = BillingOutcome(applied=True)


@dataclass(frozen=True, slots=True)
class _BillingUser:
    id: UUID
    timezone: str


async def process_webhook_event(
    tx: Transaction, stored: StoredWebhookEvent, *, is_retry: bool, now: datetime
) -> BillingOutcome:
    """Apply a stored event in a savepoint and mark it completed, or failed with the error."""
    try:
        async with tx.savepoint():
            outcome = await apply_billing_event(tx, parse_billing_event(stored.payload), now=now)
    except Exception as error:  # whatever went wrong, the event is kept as failed for the retry job
        logger.warning("billing event %s failed: %s", stored.event_id, error, exc_info=True)
        await finish_webhook_event(
            tx.connection,
            stored.id,
            error_message=f"{type(error).__name__}: {error}",
            is_retry=is_retry,
            now=now,
        )
        return _UNCHANGED
    await finish_webhook_event(tx.connection, stored.id, error_message=None, is_retry=is_retry, now=now)
    return outcome


async def apply_billing_event(tx: Transaction, event: BillingEvent, *, now: datetime) -> BillingOutcome:
    """Apply one event (the table of §3.8). Types outside that table change nothing."""
    try:
        kind = BillingEventType(event.event_type)
    except ValueError:
        logger.info("billing event %s of type %s has no effect", event.event_id, event.event_type)
        return _UNCHANGED
    if kind is BillingEventType.TRANSFER:
        return await _apply_transfer(tx, event, now=now)
    known = await _known_users(tx, event.user_candidates)
    if not known:
        raise BillingEventRejected(f"no user matches app_user_id {event.user_candidates[:1]}")
    user = known[0]
    row = (await lock_subscriptions(tx.connection, [user.id])).get(user.id)
    if _is_stale(row, event):
        return _UNCHANGED
    outcome = await _apply_to_user(tx, kind, event, user, row, now=now)
    return replace(outcome, user_id=user.id, event_type=kind.value) if outcome.applied else outcome


async def _apply_to_user(
    tx: Transaction,
    kind: BillingEventType,
    event: BillingEvent,
    user: _BillingUser,
    row: SubscriptionRow | None,
    *,
    now: datetime,
) -> BillingOutcome:
    if kind in _PURCHASES:
        return await _apply_purchase(tx, kind, event, user, now=now)
    if row is None:
        raise BillingEventRejected(f"{kind} for user {user.id} who has no subscription yet")
    if kind is BillingEventType.EXPIRATION:
        expiry = _present(expires_date=event.expires_at)
        return await _apply_expiration(
            tx, event, user, DeactivationReason.SUBSCRIPTION_EXPIRED, also_set=expiry, now=now
        )
    if kind is BillingEventType.BILLING_ISSUE:
        return await _apply_billing_issue(tx, event, user, row, now=now)
    if kind is BillingEventType.PRODUCT_CHANGE:
        return await _apply_product_change(tx, event, user, now=now)
    return await _apply_row_change(tx, event, user, _ROW_CHANGES[kind](event), now=now)


async def expire_subscriptions(
    tx: Transaction,
    user_ids: Sequence[UUID],
    *,
    reason: DeactivationReason,
    event: BillingEvent | None,
    also_set: Mapping[str, Any] | None = None,
    now: datetime,
) -> None:
    """The EXPIRATION handling: status expired, auto_renew off (plus `also_set`), then the teardown
    for whoever lost premium. `event` is None for the client sync (it is not a billing event)."""
    values: dict[str, Any] = {
        **(also_set or {}),
        "status": SubscriptionStatus.EXPIRED.value,
        "auto_renew": False,
    }
    if event is not None:
        values |= _stamp(event)
    await update_subscriptions(tx.connection, user_ids, values, now=now)
    await _settle_plans(tx, user_ids, reason=reason, event=event, now=now)


_PURCHASES: Final = frozenset(
    {BillingEventType.INITIAL_PURCHASE, BillingEventType.RENEWAL, BillingEventType.NON_RENEWING_PURCHASE}
)


def _cancellation(event: BillingEvent) -> dict[str, Any]:
    return {"auto_renew": False, "cancelled_at": event.occurred_at, "cancel_reason": event.cancel_reason}


def _uncancellation(event: BillingEvent) -> dict[str, Any]:
    return {"auto_renew": True, "cancelled_at": None, "cancel_reason": None}


def _extension(event: BillingEvent) -> dict[str, Any]:
    if event.expires_at is None:
        raise BillingEventRejected("SUBSCRIPTION_EXTENDED without expiration_at_ms")
    return {"expires_date": event.expires_at, "current_period_end": event.expires_at}


# Events that only rewrite some columns of an existing row (status and plan unchanged).
_ROW_CHANGES: Final = {
    BillingEventType.CANCELLATION: _cancellation,
    BillingEventType.UNCANCELLATION: _uncancellation,
    BillingEventType.SUBSCRIPTION_EXTENDED: _extension,
}


def _stamp(event: BillingEvent) -> dict[str, Any]:
    return {"last_event_id": event.event_id, "last_event_at": event.occurred_at}


def _is_stale(row: SubscriptionRow | None, event: BillingEvent) -> bool:
    stale = row is not None and row.last_event_at is not None and event.occurred_at < row.last_event_at
    if stale:
        logger.info(
            "billing event %s (%s at %s) is older than the subscription's last event; ignored",
            event.event_id,
            event.event_type,
            event.occurred_at.isoformat(),
        )
    return stale


def _is_premium_product(product_id: str | None) -> bool:
    return plan_for_product(store_product_id(product_id)) is PlanId.PREMIUM


async def _known_users(tx: Transaction, candidates: Sequence[str]) -> list[_BillingUser]:
    """The existing users among the candidate ids, in candidate order (ids that are not UUIDs, such
    as RevenueCat's anonymous ids, are skipped)."""
    ids: list[UUID] = []
    for candidate in candidates:
        try:
            ids.append(UUID(candidate))
        except ValueError:
            continue
    timezones = await user_timezones(tx.connection, ids)
    return [
        _BillingUser(user_id, timezones[user_id]) for user_id in dict.fromkeys(ids) if user_id in timezones
    ]


async def _settle_plans(
    tx: Transaction,
    user_ids: Sequence[UUID],
    *,
    reason: DeactivationReason,
    event: BillingEvent | None,
    now: datetime,
) -> None:
    """Rewrite the users.plan cache after a change: the teardown takes whoever lost premium (and
    demotes them), then whoever gained it is promoted."""
    await tear_down_lapsed_premium(
        tx,
        user_ids,
        reason=reason,
        webhook_event_id=None if event is None else event.event_id,
        now=now,
    )
    await promote_plan_cache(tx.connection, user_ids, now=now)


async def _apply_row_change(
    tx: Transaction,
    event: BillingEvent,
    user: _BillingUser,
    values: dict[str, Any],
    *,
    now: datetime,
) -> BillingOutcome:
    await update_subscriptions(tx.connection, [user.id], values | _stamp(event), now=now)
    await _settle_plans(tx, [user.id], reason=DeactivationReason.SUBSCRIPTION_EXPIRED, event=event, now=now)
    return _APPLIED


async def _apply_purchase(
    tx: Transaction,
    kind: BillingEventType,
    event: BillingEvent,
    user: _BillingUser,
    *,
    now: datetime,
) -> BillingOutcome:
    """INITIAL_PURCHASE, RENEWAL and NON_RENEWING_PURCHASE: the row becomes (or stays) paid premium."""
    if not _is_premium_product(event.product_id):
        logger.warning(
            "billing event %s: product %r is not a premium product; nothing granted",
            event.event_id,
            event.product_id,
        )
        return _UNCHANGED
    renews = kind is not BillingEventType.NON_RENEWING_PURCHASE
    trial = renews and event.is_trial
    values: dict[str, Any] = {
        "plan": PlanId.PREMIUM.value,
        "status": (SubscriptionStatus.TRIAL if trial else SubscriptionStatus.ACTIVE).value,
        "product_id": event.product_id,
        "provider": PROVIDER,
        "purchase_date": event.purchased_at,
        "expires_date": event.expires_at,
        "current_period_start": event.purchased_at,
        "current_period_end": event.expires_at,
        "trial_end": event.expires_at if trial else None,
        "auto_renew": renews,
        "cancelled_at": None,
        "cancel_reason": None,
        "grace_period_ends_at": None,
        **_stamp(event),
        # Store details are only overwritten when the event carries them.
        **_present(
            platform=event.platform,
            environment=event.environment,
            original_transaction_id=event.original_transaction_id,
            provider_subscription_id=event.transaction_id,
        ),
    }
    # A renewal continues the subscription: the first purchase date and a past trial's end stay.
    keep = ("purchase_date", "trial_end") if kind is BillingEventType.RENEWAL else ()
    await upsert_subscription(tx.connection, user.id, values, keep_existing=keep, now=now)
    await _settle_plans(tx, [user.id], reason=DeactivationReason.SUBSCRIPTION_EXPIRED, event=event, now=now)
    if kind is not BillingEventType.RENEWAL:
        # A first purchase (§3.13: renewals never count) earns the user's referrer their bonus once.
        await credit_referral_bonus(tx, user.id, now=now)
    return _APPLIED


async def _apply_expiration(
    tx: Transaction,
    event: BillingEvent,
    user: _BillingUser,
    reason: DeactivationReason,
    *,
    also_set: Mapping[str, Any],
    now: datetime,
) -> BillingOutcome:
    await expire_subscriptions(tx, [user.id], reason=reason, event=event, also_set=also_set, now=now)
    return _APPLIED


async def _apply_billing_issue(
    tx: Transaction,
    event: BillingEvent,
    user: _BillingUser,
    row: SubscriptionRow,
    *,
    now: datetime,
) -> BillingOutcome:
    """Grace period until the store's grace end (else the paid period's end), and a notice asking for
    a payment update before that date."""
    grace_ends_at = event.grace_period_ends_at or event.expires_at or row.expires_date
    if grace_ends_at is None:
        raise BillingEventRejected("BILLING_ISSUE without a grace period end or expiry date")
    values = {"status": SubscriptionStatus.GRACE_PERIOD.value, "grace_period_ends_at": grace_ends_at}
    await _apply_row_change(tx, event, user, values, now=now)
    await notify(
        tx, [NotificationDraft(user.id, billing_issue_notification(grace_ends_at, user.timezone))], now=now
    )
    return _APPLIED


async def _apply_product_change(
    tx: Transaction, event: BillingEvent, user: _BillingUser, *, now: datetime
) -> BillingOutcome:
    """Record the new product; a product that is not premium ends premium (reason manual)."""
    if event.new_product_id is None:
        logger.info(
            "billing event %s: PRODUCT_CHANGE without new_product_id; nothing to record", event.event_id
        )
        return _UNCHANGED
    if _is_premium_product(event.new_product_id):
        values = {"product_id": event.new_product_id, "plan": PlanId.PREMIUM.value}
        return await _apply_row_change(tx, event, user, values, now=now)
    return await _apply_expiration(
        tx,
        event,
        user,
        DeactivationReason.MANUAL,
        also_set={"product_id": event.new_product_id},
        now=now,
    )


async def _apply_transfer(tx: Transaction, event: BillingEvent, *, now: datetime) -> BillingOutcome:
    """The purchase moved between app users: previous owners expire (teardown reason transfer), the
    new owner gets active premium with the previous owner's product and dates. RevenueCat names one
    new owner; when several ids are listed, the first known user is the owner."""
    previous = await _known_users(tx, event.transferred_from)
    new_owner = next(
        iter(user for user in await _known_users(tx, event.transferred_to) if user not in previous),
        None,
    )
    if not previous and new_owner is None:
        raise BillingEventRejected("TRANSFER between users this server does not know")
    involved = [user.id for user in previous] + ([new_owner.id] if new_owner else [])
    rows = await lock_subscriptions(tx.connection, involved)
    source = next((rows[user.id] for user in previous if user.id in rows), None)
    losing = [user.id for user in previous if not _is_stale(rows.get(user.id), event)]
    gaining = new_owner if new_owner and not _is_stale(rows.get(new_owner.id), event) else None
    if not losing and gaining is None:
        return _UNCHANGED
    if gaining is not None:
        values: dict[str, Any] = {
            "plan": PlanId.PREMIUM.value,
            "status": SubscriptionStatus.ACTIVE.value,
            "provider": PROVIDER,
            "product_id": source.product_id if source else event.product_id,
            "platform": source.platform if source else event.platform,
            "purchase_date": source.purchase_date if source else event.purchased_at,
            "expires_date": source.expires_date if source else event.expires_at,
            "auto_renew": source.auto_renew if source else True,
            "cancelled_at": None,
            "cancel_reason": None,
            "grace_period_ends_at": None,
            **_stamp(event),
        }
        await upsert_subscription(tx.connection, gaining.id, values, now=now)
    await expire_subscriptions(tx, losing, reason=DeactivationReason.TRANSFER, event=event, now=now)
    if gaining is not None:
        await promote_plan_cache(tx.connection, [gaining.id], now=now)
    return _APPLIED


def _present(**values: object) -> dict[str, object]:
    return {name: value for name, value in values.items() if value is not None}
