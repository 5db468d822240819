"""Morning motivation (§3.10 goal_prep, §3.11, §4 send_morning_motivations).

`reminders.morning` runs every minute. It takes the users whose next_morning_motivation_at passed,
100 per short transaction under the job lock, writes a template notice under
`morning_motivation:<user>:<local date>` when at least one of their goals is scheduled that day
(one goal: named with its streak; several: "N goals today: …"), and advances every taken user's
instant in the same transaction. An instant more than the bound late is advanced without a notice.
"""

from __future__ import annotations

from collections import Counter, defaultdict
from datetime import datetime
from uuid import UUID

from db.due_morning_motivations import DueMorningUser, active_goals_of_users, take_due_morning_users
from db.notifications import NotificationDraft
from db.users import refresh_morning_motivation
from domain.dedupe_keys import morning_motivation_key
from domain.notification_copy.morning_motivation import MorningGoal, morning_motivation_notification
from domain.schedule import is_scheduled
from services.notify import notify
from services.transaction import Transaction
from workers.periodic_jobs import JobContext, is_stale, periodic_job, run_locked_batches

MORNING_JOB = "reminders.morning"
# §4: 100 users per message; here 100 per transaction.
BATCH_SIZE = 100


async def _drafts(tx: Transaction, recipients: list[DueMorningUser]) -> list[NotificationDraft]:
    """A draft for each recipient with at least one goal scheduled on their local date."""
    local_date_of = {recipient.user_id: recipient.local_date for recipient in recipients}
    goals_today: defaultdict[UUID, list[MorningGoal]] = defaultdict(list)
    for goal in await active_goals_of_users(tx.connection, list(local_date_of)):
        if is_scheduled(goal.frequency_type, goal.target_days, local_date_of[goal.user_id]):
            goals_today[goal.user_id].append(MorningGoal(goal.goal_id, goal.title, goal.current_streak))
    return [
        NotificationDraft(
            recipient.user_id,
            morning_motivation_notification(
                goals_today[recipient.user_id], recipient.name, recipient.motivation_style
            ),
            dedupe_key=morning_motivation_key(recipient.user_id, recipient.local_date),
        )
        for recipient in recipients
        if goals_today[recipient.user_id]
    ]


@periodic_job(MORNING_JOB, "* * * * *")
async def send_morning_motivations(context: JobContext, now: datetime) -> Counter[str]:
    """Every morning motivation notice due at `now`."""
    counts: Counter[str] = Counter()

    async def run_batch(tx: Transaction) -> bool:
        due = await take_due_morning_users(tx.connection, now=now, limit=BATCH_SIZE)
        recipients = [
            user
            for user in due
            if user.may_receive and not is_stale(user.due_at, now=now, bound=context.stale_after)
        ]
        drafts = await _drafts(tx, recipients)
        created = await notify(tx, drafts, now=now)
        if due:
            await refresh_morning_motivation(tx.connection, [user.user_id for user in due], now=now)
        counts.update(
            due=len(due),
            dropped=len(due) - len(recipients),
            no_goal_today=len(recipients) - len(drafts),
            notified=len(created.notification_ids),
            deliveries=created.deliveries,
        )
        return len(due) == BATCH_SIZE

    if not await run_locked_batches(context.database, MORNING_JOB, run_batch):
        counts["locked"] += 1
    return counts
