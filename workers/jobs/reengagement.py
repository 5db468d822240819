"""Daily re-engagement notice (§3.11, §4 send_reengagement_notifications).

`engagement.reengage` runs at the top of every UTC hour and handles the users of the zones where it
is 10:00–10:59 local: onboarded, with an active goal scheduled today and at least 2 missed check-ins
in the 14 local days before today. It walks those users by id in pages of 500, one short transaction
per page under the job lock, and writes the notice (worded by the count) under
`reengagement:<user>:<local date>`, so a second run in the same hour sends nothing twice.
"""

from __future__ import annotations

from collections import Counter
from datetime import datetime
from zoneinfo import available_timezones

from db.notifications import NotificationDraft
from db.reengagement_candidates import FIRST_PAGE_AFTER, ZoneDay, reengagement_checks
from domain.dedupe_keys import reengagement_key
from domain.local_time import is_valid_timezone, local_today
from domain.notification_copy.reengagement import reengagement_notification
from domain.schedule import is_daily_notice_hour
from services.notify import notify
from services.transaction import Transaction
from workers.periodic_jobs import JobContext, periodic_job, run_locked_batches

REENGAGE_JOB = "engagement.reengage"
# §4: 500 users per batch.
BATCH_SIZE = 500
# §3.11: at least this many missed check-ins in the window.
MIN_MISSED = 2


def zones_in_notice_hour(now: datetime) -> list[ZoneDay]:
    """Every zone whose local time at `now` is 10:00–10:59, with its local date."""
    return [
        ZoneDay(zone, local_today(zone, now))
        for zone in sorted(available_timezones())
        if is_valid_timezone(zone) and is_daily_notice_hour(zone, now)
    ]


@periodic_job(REENGAGE_JOB, "0 * * * *")
async def send_reengagement_notifications(context: JobContext, now: datetime) -> Counter[str]:
    """Re-engagement notices of the users for whom `now` is in the local notice hour."""
    counts: Counter[str] = Counter()
    zone_days = zones_in_notice_hour(now)
    after = FIRST_PAGE_AFTER

    async def run_batch(tx: Transaction) -> bool:
        nonlocal after
        page = await reengagement_checks(tx.connection, zone_days, after=after, limit=BATCH_SIZE)
        drafts = [
            NotificationDraft(
                check.user_id,
                reengagement_notification(check.missed_count, check.name),
                dedupe_key=reengagement_key(check.user_id, check.local_date),
            )
            for check in page
            if check.has_goal_today and check.missed_count >= MIN_MISSED
        ]
        created = await notify(tx, drafts, now=now)
        counts.update(
            users_checked=len(page),
            eligible=len(drafts),
            notified=len(created.notification_ids),
            deliveries=created.deliveries,
        )
        if page:
            after = page[-1].user_id
        return len(page) == BATCH_SIZE

    if not await run_locked_batches(context.database, REENGAGE_JOB, run_batch):
        counts["locked"] += 1
    return counts
