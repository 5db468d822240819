"""Check-in prompt and follow-up (§3.11, §4 send_checkin_prompts / send_checkin_followups).

`checkins.prompts` runs every minute. For each kind, it takes the pending rows whose due instant has
passed, 100 per short transaction under the job lock, writes the notice under
`checkin_prompt:<goal>:<local date>` (or `checkin_followup:…`) and clears the due instant in the
same transaction. Answered rows are outside the partial index, so they are never asked; a row more
than the bound late is cleared without a notice. Template text only: no external call to spread over
workers, so the tick does the (set-based) work itself.
"""

from __future__ import annotations

from collections import Counter
from datetime import datetime

from db.due_checkin_notices import (
    CheckinNoticeKind,
    DueCheckinNotice,
    clear_checkin_notices_due,
    take_due_checkin_notices,
)
from db.notifications import NotificationDraft
from domain.dedupe_keys import checkin_followup_key, checkin_prompt_key
from domain.notification_copy.reminders import checkin_followup_notification, checkin_prompt_notification
from services.notify import notify
from services.transaction import Transaction
from workers.periodic_jobs import JobContext, is_stale, periodic_job, run_locked_batches

PROMPTS_JOB = "checkins.prompts"
# §4: 100 per message; here 100 per transaction, so row locks are held briefly.
BATCH_SIZE = 100


def _draft(kind: CheckinNoticeKind, due: DueCheckinNotice) -> NotificationDraft:
    if kind is CheckinNoticeKind.PROMPT:
        content = checkin_prompt_notification(
            due.goal_id, due.goal_title, due.user_name, due.motivation_style
        )
        key = checkin_prompt_key(due.goal_id, due.check_in_date)
    else:
        content = checkin_followup_notification(
            due.goal_id, due.goal_title, due.user_name, due.motivation_style
        )
        key = checkin_followup_key(due.goal_id, due.check_in_date)
    return NotificationDraft(due.user_id, content, dedupe_key=key)


async def _send_due(
    tx: Transaction, context: JobContext, kind: CheckinNoticeKind, now: datetime, counts: Counter[str]
) -> bool:
    """One batch of `kind`: notify the fresh rows, clear every taken row; True when the batch was full."""
    due = await take_due_checkin_notices(tx.connection, kind, now=now, limit=BATCH_SIZE)
    fresh = [
        row
        for row in due
        if row.goal_is_active and not is_stale(row.due_at, now=now, bound=context.stale_after)
    ]
    created = await notify(tx, [_draft(kind, row) for row in fresh], now=now)
    await clear_checkin_notices_due(tx.connection, kind, [row.checkin_id for row in due])
    counts.update(
        {
            f"{kind.value}_due": len(due),
            f"{kind.value}_dropped": len(due) - len(fresh),
            f"{kind.value}_notified": len(created.notification_ids),
            "deliveries": created.deliveries,
        }
    )
    return len(due) == BATCH_SIZE


@periodic_job(PROMPTS_JOB, "* * * * *")
async def send_checkin_prompts(context: JobContext, now: datetime) -> Counter[str]:
    """Every check-in prompt due at `now`, then every follow-up, one batch of one kind per transaction.

    One kind per transaction keeps the job from updating a row it already updated: PostgreSQL then
    re-checks the row's foreign key, share-locking its goal, and a goal edit holding that goal while
    it waits for the check-in row deadlocked with the job. This way the job never waits on a lock."""
    counts: Counter[str] = Counter()
    for kind in CheckinNoticeKind:

        async def run_batch(tx: Transaction, kind: CheckinNoticeKind = kind) -> bool:
            return await _send_due(tx, context, kind, now, counts)

        if not await run_locked_batches(context.database, PROMPTS_JOB, run_batch):
            counts["locked"] += 1
            break
    return counts
