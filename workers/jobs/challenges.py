"""The challenge lifecycle jobs (§3.6, §4): statuses, ending reminders and the three clean-ups.

Each runs in short transactions under its advisory lock (`run_locked_batches`), so an overlapping run
(a doubled tick, a second scheduler) stops at the lock; and each transition is a status-guarded UPDATE
with per-recipient dedupe keys on its notices, so even two runs that did not overlap change and tell
everything once. Batches come from the due indexes: upcoming by start_date, active by end_date, open by
(created_by, id), pending invites by (expires_at, id). A crash loses at most the batch in flight; the
next run finds what is left. Notices go through the fan-out (inline ≤ 10, else chunks of 50).
"""

from __future__ import annotations

from collections import Counter, defaultdict
from datetime import date, datetime
from typing import Final
from uuid import UUID

from db.challenge_lifecycle import (
    ClosedChallenge,
    InvitePosition,
    KeysetPosition,
    cancel_abandoned_batch,
    cancel_lapsed_creators_batch,
    delete_pending_invites,
    ending_challenges,
    expire_invites_batch,
)
from db.plan_downgrade import DeactivationReason, TeardownReport, log_deactivations
from db.plans import plan_catalog
from domain.challenge_notices import CancelReason, ChallengeNotice, EndingKind, Recipient
from services.challenge_lifecycle import (
    announce_cancellations,
    creator_plans,
    finish_due_challenges,
    recipients_by_challenge,
    start_due_challenges,
)
from services.challenge_notices import FanOut, fan_out
from services.transaction import Database, Transaction
from workers.jobs.reengagement import zones_in_notice_hour
from workers.periodic_jobs import JobContext, periodic_job, run_locked_batches

STATUSES_JOB: Final = "challenges.update_statuses"
ENDING_JOB: Final = "challenges.ending_reminders"
LAPSED_CREATORS_JOB: Final = "challenges.clean_lapsed_creators"
ABANDONED_JOB: Final = "challenges.clean_abandoned"
EXPIRE_INVITES_JOB: Final = "challenges.expire_invites"
# §4: 100 challenges per status batch, 500 per clean-up batch.
STATUS_BATCH: Final = 100
CLEANUP_BATCH: Final = 500
# ending_soon goes out when the end date is this many local days ahead.
ENDING_SOON_DAYS: Final = 3


async def update_statuses(
    database: Database, *, now: datetime, batch_size: int = STATUS_BATCH
) -> Counter[str]:
    """Start the upcoming challenges whose local start has come, then finish the active ones past
    their local end date."""
    counts: Counter[str] = Counter()

    async def start_batch(tx: Transaction) -> bool:
        started = await start_due_challenges(tx, now=now, limit=batch_size)
        counts.update(
            activated=started.activated,
            cancelled=started.cancelled,
            invites_deleted=started.invites_deleted,
            notified=started.notified,
        )
        return started.activated + started.cancelled == batch_size

    async def finish_batch(tx: Transaction) -> bool:
        completed, notified, winners = await finish_due_challenges(tx, now=now, limit=batch_size)
        counts.update(completed=completed, notified=notified, winners=winners)
        return completed == batch_size

    for run_batch in (start_batch, finish_batch):
        if not await run_locked_batches(database, STATUSES_JOB, run_batch):
            counts["locked"] += 1
            break
    return counts


@periodic_job(STATUSES_JOB, "*/15 * * * *")
async def update_challenge_statuses(context: JobContext, now: datetime) -> Counter[str]:
    """Activate (or cancel) due upcoming challenges and complete active ones past their end date."""
    return await update_statuses(context.database, now=now)


def _ending_kind(end_date: date, local_date: date) -> EndingKind:
    return EndingKind.FINAL_DAY if end_date == local_date else EndingKind.ENDING_SOON


@periodic_job(ENDING_JOB, "0 * * * *")
async def send_challenge_ending_reminders(context: JobContext, now: datetime) -> Counter[str]:
    """Ending-soon (3 days left) and final-day reminders to the participants of active challenges.

    They go out in the challenge's local 10:00 hour: its time zone, the one its dates are in."""
    counts: Counter[str] = Counter()
    zone_days = [(zone_day.timezone, zone_day.local_date) for zone_day in zones_in_notice_hour(now)]
    after: UUID | None = None

    async def run_batch(tx: Transaction) -> bool:
        nonlocal after
        page = await ending_challenges(
            tx.connection, zone_days, days_before=ENDING_SOON_DAYS, after=after, limit=STATUS_BATCH
        )
        members = await recipients_by_challenge(tx, [c.id for c in page], but_creator=False)
        fan_outs: list[FanOut] = [
            (
                ChallengeNotice.ending_reminder(
                    challenge.id,
                    challenge.title,
                    _ending_kind(challenge.end_date, challenge.local_date),
                    challenge.end_date,
                ),
                members[challenge.id],
            )
            for challenge in page
            if members[challenge.id]
        ]
        told = await fan_out(tx, fan_outs, now=now)
        counts.update(
            challenges=len(page), notified=told.inline, chunked=told.chunked, messages=told.messages
        )
        if page:
            after = page[-1].id
        return len(page) == STATUS_BATCH

    if not await run_locked_batches(context.database, ENDING_JOB, run_batch):
        counts["locked"] += 1
    return counts


async def _close_cancelled(
    tx: Transaction, cancelled: list[ClosedChallenge], *, reason: str, now: datetime
) -> int:
    """Pending invites of `cancelled` deleted and their participants told; recipients notified or queued."""
    await delete_pending_invites(tx.connection, [challenge.id for challenge in cancelled])
    told = await announce_cancellations(tx, cancelled, reason=reason, now=now)
    return told.inline + told.chunked


async def cancel_lapsed_creators(
    database: Database, *, now: datetime, batch_size: int = CLEANUP_BATCH
) -> Counter[str]:
    """Cancel the open challenges whose creator's plan lacks challenge_create, tell their participants
    and log each creator's cancellations; the counts of the run (`locked` when another run holds it)."""
    counts: Counter[str] = Counter()
    position: KeysetPosition | None = None
    plans: list[str] | None = None
    reason = CancelReason.CREATOR_SUBSCRIPTION_EXPIRED.value

    async def run_batch(tx: Transaction) -> bool:
        nonlocal position, plans
        if plans is None:  # once per run, from the cached catalogue: never per creator
            plans = creator_plans(await plan_catalog(tx.connection))
        batch = await cancel_lapsed_creators_batch(
            tx.connection, creator_plans=plans, reason=reason, now=now, after=position, limit=batch_size
        )
        examined, cancelled, position = batch.examined, batch.cancelled, batch.position
        counts.update(batches=1, examined=examined, cancelled=len(cancelled))
        if cancelled:
            counts["notified"] += await _close_cancelled(tx, cancelled, reason=reason, now=now)
            by_creator: dict[UUID, list[UUID]] = defaultdict(list)
            for challenge in cancelled:
                if challenge.created_by is not None:
                    by_creator[challenge.created_by].append(challenge.id)
            await log_deactivations(
                tx.connection,
                [TeardownReport(creator, (), (), tuple(ids)) for creator, ids in by_creator.items()],
                reason=DeactivationReason.SUBSCRIPTION_EXPIRED_CLEANUP,
                webhook_event_id=None,
            )
        return examined == batch_size

    if not await run_locked_batches(database, LAPSED_CREATORS_JOB, run_batch):
        counts["locked"] += 1
    return counts


@periodic_job(LAPSED_CREATORS_JOB, "0 3 * * *")
async def cleanup_expired_creator_challenges(context: JobContext, now: datetime) -> Counter[str]:
    """Cancel open challenges whose creator lacks premium (any the teardown missed), and log it."""
    return await cancel_lapsed_creators(context.database, now=now)


async def cancel_abandoned(
    database: Database, *, now: datetime, batch_size: int = CLEANUP_BATCH
) -> Counter[str]:
    """Cancel the upcoming challenges whose join deadline passed with nobody but the creator in them
    (no_participants) and tell each creator."""
    counts: Counter[str] = Counter()
    position: KeysetPosition | None = None
    reason = CancelReason.NO_PARTICIPANTS.value

    async def run_batch(tx: Transaction) -> bool:
        nonlocal position
        batch = await cancel_abandoned_batch(
            tx.connection, reason=reason, now=now, after=position, limit=batch_size
        )
        examined, cancelled, position = batch.examined, batch.cancelled, batch.position
        await delete_pending_invites(tx.connection, [challenge.id for challenge in cancelled])
        told = await fan_out(
            tx,
            [
                (
                    ChallengeNotice.cancelled(challenge.id, challenge.title, reason),
                    [Recipient(challenge.created_by)],
                )
                for challenge in cancelled
                if challenge.created_by is not None
            ],
            now=now,
        )
        counts.update(batches=1, examined=examined, cancelled=len(cancelled), notified=told.inline)
        return examined == batch_size

    if not await run_locked_batches(database, ABANDONED_JOB, run_batch):
        counts["locked"] += 1
    return counts


@periodic_job(ABANDONED_JOB, "30 3 * * *")
async def cleanup_abandoned_challenges(context: JobContext, now: datetime) -> Counter[str]:
    """Cancel upcoming challenges whose join deadline passed with nobody but the creator, and tell them."""
    return await cancel_abandoned(context.database, now=now)


async def expire_invites(
    database: Database, *, now: datetime, batch_size: int = CLEANUP_BATCH
) -> Counter[str]:
    """Mark the pending invites past expires_at expired and delete their inbox rows."""
    counts: Counter[str] = Counter()
    position: InvitePosition | None = None

    async def run_batch(tx: Transaction) -> bool:
        nonlocal position
        examined, expired, inbox, position = await expire_invites_batch(
            tx.connection, now=now, after=position, limit=batch_size
        )
        counts.update(batches=1, examined=examined, expired=expired, inbox_deleted=inbox)
        return examined == batch_size

    if not await run_locked_batches(database, EXPIRE_INVITES_JOB, run_batch):
        counts["locked"] += 1
    return counts


@periodic_job(EXPIRE_INVITES_JOB, "15 3 * * *")
async def expire_challenge_invites(context: JobContext, now: datetime) -> Counter[str]:
    """Pending challenge invites past expires_at → expired, with their inbox rows deleted."""
    return await expire_invites(context.database, now=now)
