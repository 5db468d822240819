"""The social clean-up jobs (§3.4, §4): lapsed partner requests, partnerships of inactive accounts,
orphaned inbox rows.

Each walks a keyset (never OFFSET) in batches of 500, one short transaction per batch under the job's
advisory lock (`run_locked_batches`), deleting the batch and its inbox rows in one statement
(db/social_cleanup.py). A crash loses at most the batch in flight: every committed batch stays done,
and since the next run's statement only finds what is left, it carries on where the crash stopped.
Every run logs its counts and duration (`run_logged`).
"""

from __future__ import annotations

from collections import Counter
from datetime import datetime
from typing import Final
from uuid import UUID

from db.plans import PlanCatalog, plan_catalog
from db.social_cleanup import (
    RequestPosition,
    delete_inactive_users_partnerships_batch,
    delete_lapsed_requests_batch,
    delete_orphaned_inbox_batch,
)
from domain.plans import Feature
from services.transaction import Database, Transaction
from workers.periodic_jobs import JobContext, periodic_job, run_locked_batches

EXPIRE_REQUESTS_JOB: Final = "partners.expire_requests"
INACTIVE_USERS_JOB: Final = "partners.clean_inactive_users"
ORPHANS_JOB: Final = "notifications.prune_orphans"
BATCH_SIZE: Final = 500
# The weekly sweep examines every inbox row that names an entity: far more than 55 s of work on a
# big inbox, so it gets the day-boundary jobs' limit and more.
ORPHANS_TIME_LIMIT_MS: Final = 30 * 60 * 1000


def plans_without_partners(catalog: PlanCatalog) -> list[str]:
    """Plans whose accountability_partner_limit is absent or 0: their users' requests lapse (§3.4)."""
    return [
        plan.id for plan in catalog.plans if not plan.feature_set().has(Feature.ACCOUNTABILITY_PARTNER_LIMIT)
    ]


async def expire_partner_requests(
    database: Database, *, now: datetime, batch_size: int = BATCH_SIZE
) -> Counter[str]:
    """Delete every lapsed pending request (expired, or its sender lost the partner feature) with its
    inbox rows; the counts of the run (`locked` when another run holds the lock)."""
    counts: Counter[str] = Counter()
    position: RequestPosition | None = None
    lacking: list[str] | None = None

    async def run_batch(tx: Transaction) -> bool:
        nonlocal position, lacking
        if lacking is None:  # once per run, from the cached catalogue: never per sender
            lacking = plans_without_partners(await plan_catalog(tx.connection))
        done, position = await delete_lapsed_requests_batch(
            tx.connection, now=now, plans_without_partners=lacking, after=position, limit=batch_size
        )
        counts.update(batches=1, requests_deleted=done.deleted, inbox_deleted=done.inbox_deleted)
        return done.examined == batch_size

    if not await run_locked_batches(database, EXPIRE_REQUESTS_JOB, run_batch):
        counts["locked"] += 1
    return counts


async def clean_inactive_users_partnerships(
    database: Database, *, batch_size: int = BATCH_SIZE
) -> Counter[str]:
    """Delete the partnerships (pending and accepted) of every disabled or suspended account, their
    nudges and the inbox rows of both."""
    counts: Counter[str] = Counter()
    position: UUID | None = None

    async def run_batch(tx: Transaction) -> bool:
        nonlocal position
        done, position = await delete_inactive_users_partnerships_batch(
            tx.connection, after=position, limit=batch_size
        )
        counts.update(
            batches=1,
            users=done.examined,
            partnerships_deleted=done.deleted,
            nudges_deleted=done.nudges_deleted,
            inbox_deleted=done.inbox_deleted,
        )
        return done.examined == batch_size

    if not await run_locked_batches(database, INACTIVE_USERS_JOB, run_batch):
        counts["locked"] += 1
    return counts


async def prune_orphaned_notifications(database: Database, *, batch_size: int = BATCH_SIZE) -> Counter[str]:
    """Delete the inbox rows whose entity (partnership, nudge, badge, goal, check-in, user) is gone."""
    counts: Counter[str] = Counter()
    position: UUID | None = None

    async def run_batch(tx: Transaction) -> bool:
        nonlocal position
        done, position = await delete_orphaned_inbox_batch(tx.connection, after=position, limit=batch_size)
        counts.update(batches=1, examined=done.examined, inbox_deleted=done.deleted)
        return done.examined == batch_size

    if not await run_locked_batches(database, ORPHANS_JOB, run_batch):
        counts["locked"] += 1
    return counts


@periodic_job(EXPIRE_REQUESTS_JOB, "45 3 * * *")
async def cleanup_expired_partner_requests(context: JobContext, now: datetime) -> Counter[str]:
    """Delete expired partner requests and those whose sender lost the feature, with their inbox rows."""
    return await expire_partner_requests(context.database, now=now)


@periodic_job(INACTIVE_USERS_JOB, "0 4 * * *")
async def cleanup_inactive_user_partnerships(context: JobContext, now: datetime) -> Counter[str]:
    """Delete the partnerships of disabled and suspended accounts, their nudges and inbox rows."""
    return await clean_inactive_users_partnerships(context.database)


@periodic_job(ORPHANS_JOB, "0 5 * * 0", time_limit_ms=ORPHANS_TIME_LIMIT_MS)
async def cleanup_orphaned_notifications(context: JobContext, now: datetime) -> Counter[str]:
    """Delete inbox rows whose entity no longer exists, 500 examined per transaction."""
    return await prune_orphaned_notifications(context.database)
