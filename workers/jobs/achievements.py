"""The daily account-age sweep (§3.7, §4 check_account_age_achievements).

Account-age badges unlock with time alone, so no request evaluates them. `achievements.account_age`
runs once a day and evaluates only the users who could newly reach one: those created around a
threshold day (domain.achievements.account_age_windows: three days wide, so one missed run still
unlocks on time). It walks each window by (created_at, id) in pages of 500, one short transaction
per page under the job lock, and evaluates each page as a set: one counts statement and at most one
insert and one notify() per page, whatever the number of badges. Unlocking is idempotent (UNIQUE
(user_id, achievement_type_id)), so a second run writes and announces nothing twice.
"""

from __future__ import annotations

from collections import Counter
from datetime import datetime

from db.achievements import CreatedPosition, users_created_between
from domain.achievements import SourceType, account_age_windows
from services.achievements import AchievementSource, evaluate_achievements
from services.transaction import Transaction
from workers.periodic_jobs import JobContext, periodic_job, run_locked_batches

ACCOUNT_AGE_JOB = "achievements.account_age"
BATCH_SIZE = 500
# metadata.source_type of the unlocks the sweep writes.
SWEEP_SOURCE = AchievementSource(SourceType.ACCOUNT_AGE)


@periodic_job(ACCOUNT_AGE_JOB, "30 4 * * *")
async def check_account_age_achievements(context: JobContext, now: datetime) -> Counter[str]:
    """Badge evaluation of the users whose account age is at (or just past) a badge threshold."""
    counts: Counter[str] = Counter()
    windows = account_age_windows(now)
    window = 0
    after: CreatedPosition | None = None

    async def run_batch(tx: Transaction) -> bool:
        nonlocal window, after
        start, end = windows[window]
        page = await users_created_between(tx.connection, start, end, after=after, limit=BATCH_SIZE)
        unlocked = await evaluate_achievements(tx, [user.id for user in page], now=now, source=SWEEP_SOURCE)
        counts.update(users_checked=len(page), unlocked=len(unlocked))
        if len(page) == BATCH_SIZE:
            after = page[-1]
        else:
            window, after = window + 1, None
        return window < len(windows)

    if not await run_locked_batches(context.database, ACCOUNT_AGE_JOB, run_batch):
        counts["locked"] += 1
    return counts
