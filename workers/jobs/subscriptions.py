"""Billing jobs (§4): retry failed webhook events, warn before a non-renewing subscription ends, end
referral bonuses.

`billing.retry_webhooks` (every 5 minutes) reprocesses up to 10 failed events of any type (trap 14)
stored more than 5 minutes ago with fewer than 5 retries, counting each attempt. Events still apply
in event-time order, so a late retry of an old event changes nothing.

`billing.warn_expiring` (hourly) sends subscription_expiry_warning to users whose local time is
10:00–10:59 and whose subscription (auto_renew off, active or trial) expires in [now + 3 d, now + 4 d),
once per subscription and expiry date (dedupe key). The window is anchored on the hour, so a late
tick covers the same expiries as a punctual one and consecutive days' windows tile without gaps.

`billing.end_referral_bonuses` (every 5 minutes) expires the premium of referral bonuses that have
run out (§3.13), with the downgrade teardown; no store sends an EXPIRATION for them.
"""

from __future__ import annotations

from collections import Counter
from datetime import datetime, timedelta
from typing import Final
from uuid import UUID

from db.notifications import NotificationDraft
from db.subscriptions import expiring_subscriptions, lapsed_bonus_subscriptions
from db.webhook_events import claim_retryable_events
from domain.dedupe_keys import subscription_expiry_warning_key
from domain.notification_copy.subscription_notices import expiry_warning_notification
from domain.referrals import REFERRAL_BONUS_PROVIDER
from domain.schedule import is_daily_notice_hour
from services.billing.events import expire_subscriptions, process_webhook_event
from services.billing.teardown import DeactivationReason
from services.notify import notify
from services.transaction import Transaction
from workers.periodic_jobs import JobContext, periodic_job, run_locked_batches

RETRY_WEBHOOKS_JOB: Final = "billing.retry_webhooks"
WARN_EXPIRING_JOB: Final = "billing.warn_expiring"
END_REFERRAL_BONUSES_JOB: Final = "billing.end_referral_bonuses"

# §4: failed events older than 5 minutes, 10 per run.
RETRY_AFTER: Final = timedelta(minutes=5)
RETRY_BATCH: Final = 10
# §3.8: the warning goes out 3 days before expiry; §4: 500 per batch.
WARNING_LEAD: Final = timedelta(days=3)
WARNING_BATCH: Final = 500
BONUS_END_BATCH: Final = 500


@periodic_job(RETRY_WEBHOOKS_JOB, "*/5 * * * *")
async def process_failed_webhook_events(context: JobContext, now: datetime) -> Counter[str]:
    """Retry failed billing webhook events: at most RETRY_BATCH per run, in one transaction."""
    counts: Counter[str] = Counter()

    async def run_batch(tx: Transaction) -> bool:
        events = await claim_retryable_events(
            tx.connection, created_before=now - RETRY_AFTER, limit=RETRY_BATCH
        )
        # One event at a time by nature: each is applied in its own savepoint and marked on its own
        # (at most RETRY_BATCH per run).
        for event in events:
            outcome = await process_webhook_event(tx, event, is_retry=True, now=now)
            counts["applied" if outcome.applied else "unchanged_or_failed"] += 1
        counts.update(retried=len(events))
        return False  # one batch per run; the next run takes the next ten

    if not await run_locked_batches(context.database, RETRY_WEBHOOKS_JOB, run_batch):
        counts["locked"] += 1
    return counts


@periodic_job(WARN_EXPIRING_JOB, "0 * * * *")
async def check_expiring_subscriptions(context: JobContext, now: datetime) -> Counter[str]:
    """Warn at 10:00 local of non-renewing subscriptions ending in 3 days (pages of WARNING_BATCH)."""
    counts: Counter[str] = Counter()
    anchor = now.replace(minute=0, second=0, microsecond=0)
    window_start, window_end = anchor + WARNING_LEAD, anchor + WARNING_LEAD + timedelta(days=1)
    after: tuple[datetime, UUID] | None = None

    async def run_batch(tx: Transaction) -> bool:
        nonlocal after
        page = await expiring_subscriptions(
            tx.connection,
            expires_from=window_start,
            expires_before=window_end,
            after=after,
            limit=WARNING_BATCH,
        )
        drafts = [
            NotificationDraft(
                subscription.user_id,
                expiry_warning_notification(subscription.expires_date, subscription.timezone),
                dedupe_key=subscription_expiry_warning_key(subscription.id, subscription.expires_date),
            )
            for subscription in page
            if is_daily_notice_hour(subscription.timezone, now)
        ]
        created = await notify(tx, drafts, now=now)
        counts.update(
            expiring=len(page),
            in_notice_hour=len(drafts),
            warned=len(created.notification_ids),
            deliveries=created.deliveries,
        )
        if page:
            after = (page[-1].expires_date, page[-1].id)
        return len(page) == WARNING_BATCH

    if not await run_locked_batches(context.database, WARN_EXPIRING_JOB, run_batch):
        counts["locked"] += 1
    return counts


@periodic_job(END_REFERRAL_BONUSES_JOB, "*/5 * * * *")
async def end_referral_bonuses(context: JobContext, now: datetime) -> Counter[str]:
    """Expire referral-bonus premium whose end has passed (pages of BONUS_END_BATCH)."""
    counts: Counter[str] = Counter()

    async def run_batch(tx: Transaction) -> bool:
        user_ids = await lapsed_bonus_subscriptions(
            tx.connection, provider=REFERRAL_BONUS_PROVIDER, now=now, limit=BONUS_END_BATCH
        )
        if not user_ids:
            return False
        await expire_subscriptions(
            tx, user_ids, reason=DeactivationReason.SUBSCRIPTION_EXPIRED, event=None, now=now
        )
        counts.update(ended=len(user_ids))
        return len(user_ids) == BONUS_END_BATCH

    if not await run_locked_batches(context.database, END_REFERRAL_BONUSES_JOB, run_batch):
        counts["locked"] += 1
    return counts
