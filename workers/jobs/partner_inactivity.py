"""notify_inactive_partners (§3.11 "Partner inactive", §4): hourly, from the partner_inactive_due index.

Each short transaction (under the job lock) takes up to 500 users whose instant passed and looks at
their accepted partnerships (db/partner_inactivity.py). A partnership whose silence is N local days old
at 10:00 in the quiet user's zone tells the partner, under the key
`partner_inactive:<recipient>:<quiet user>:<date the silence started>`; the user's row is then deleted,
or re-armed for the partnerships whose own silence started later (a partnership accepted during the
silence). The next instant comes only from a new answer or acceptance, so each partner hears once
per silence; the key is the last line of defence against a doubled run. Users whose account is not
active are told about nobody and leave the index. A late run still sends (nothing here is tied to
the hour: it is "they have been quiet", not "time to run"); the gate's quiet hours apply as always.
"""

from __future__ import annotations

from collections import Counter
from datetime import datetime
from typing import Final
from uuid import UUID

from db.notifications import NotificationDraft
from db.partner_inactivity import rearm_or_clear, silent_partnerships, take_due_quiet_users
from domain.dedupe_keys import partner_inactive_key
from domain.notification_copy.partner_notices import partner_inactive_notification
from services.notify import notify
from services.transaction import Database, Transaction
from workers.periodic_jobs import JobContext, periodic_job, run_locked_batches

INACTIVE_PARTNERS_JOB: Final = "partners.notify_inactive"
BATCH_SIZE: Final = 500


async def notify_inactive_partners_at(
    database: Database, *, now: datetime, days: int, batch_size: int = BATCH_SIZE
) -> Counter[str]:
    """Tell the partners of every user whose silence came due at `now`; the counts of the run."""
    counts: Counter[str] = Counter()

    async def run_batch(tx: Transaction) -> bool:
        due = await take_due_quiet_users(tx.connection, now=now, limit=batch_size)
        active = [user.user_id for user in due if user.is_active]
        next_due: dict[UUID, datetime | None] = {user.user_id: None for user in due}
        drafts: list[NotificationDraft] = []
        for pair in await silent_partnerships(tx.connection, active, now=now, days=days):
            if pair.notice_at > now:  # this partnership's silence started later: come back for it
                current = next_due[pair.quiet_user_id]
                next_due[pair.quiet_user_id] = (
                    pair.notice_at if current is None else min(current, pair.notice_at)
                )
                continue
            drafts.append(
                NotificationDraft(
                    pair.recipient_id,
                    partner_inactive_notification(
                        pair.quiet_user_id, pair.quiet_user_name, pair.partnership_id, pair.days_silent
                    ),
                    dedupe_key=partner_inactive_key(pair.recipient_id, pair.quiet_user_id, pair.silent_since),
                )
            )
        created = await notify(tx, drafts, now=now)
        await rearm_or_clear(tx.connection, next_due, now=now)
        counts.update(
            due=len(due),
            inactive_accounts=len(due) - len(active),
            rearmed=sum(1 for due_at in next_due.values() if due_at is not None),
            notified=len(created.notification_ids),
            deliveries=created.deliveries,
        )
        return len(due) == batch_size

    if not await run_locked_batches(database, INACTIVE_PARTNERS_JOB, run_batch):
        counts["locked"] += 1
    return counts


@periodic_job(INACTIVE_PARTNERS_JOB, "0 * * * *")
async def notify_inactive_partners(context: JobContext, now: datetime) -> Counter[str]:
    """Tell accepted partners, once per silence, that a user has been quiet for N local days."""
    return await notify_inactive_partners_at(
        context.database, now=now, days=context.settings.partner_inactive_days
    )
