"""Weekly recaps (§3.12, §4 generate_weekly_recaps).

`recaps.weekly` runs at the top of every UTC hour. Only on a Monday somewhere does it find anyone: the
users of the zones where it is Monday 10:00–10:59 whose plan has weekly recaps, with an active goal
and no recap yet for the week that ended yesterday (db/weekly_recap_candidates.py), walked by id in
pages of 500 under the job lock. Up to 10 of them are recapped by the run itself; more leave as
`recaps.build_chunk` messages of 50, sent when each page's transaction commits.

A chunk (inline or a message) reads the numbers of all its users in one short transaction, closes it,
asks the model for every user's texts at once (templates where it has no usable answer), then writes
the recaps in one INSERT … ON CONFLICT DO NOTHING and announces only the rows it inserted, under
`weekly_recap:<user>:<week_start>`, in a second short transaction. A second run in the hour, or a
doubled message, finds the recaps written and pays for no text, writes nothing and sends nothing.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence
from datetime import UTC, date, datetime
from uuid import UUID

from db.plans import plan_catalog
from db.reengagement_candidates import FIRST_PAGE_AFTER, ZoneDay
from db.weekly_recap_candidates import recap_candidates
from db.weekly_recap_stats import RecapTarget
from db.weekly_recaps import store_recaps
from domain.plans import Feature
from services.messages import ActorAddress
from services.transaction import Transaction
from services.weekly_recaps import announce_recaps, draft_recaps
from workers.actor import house_actor
from workers.jobs.reengagement import zones_in_notice_hour
from workers.periodic_jobs import JobContext, periodic_job, run_locked_batches, run_logged, worker_job_context

RECAP_JOB = "recaps.weekly"
BUILD_CHUNK = ActorAddress("recaps.build_chunk", queue_name="default")
# §4: inline ≤ 10 users, else chunks of 50 as worker messages.
INLINE_MAX = 10
CHUNK_SIZE = 50
PAGE_SIZE = 500
# A chunk waits on up to 50 model answers (bounded by the client's deadline and concurrency cap).
CHUNK_TIME_LIMIT_MS = 300_000


def zones_at_monday_notice_hour(now: datetime) -> list[ZoneDay]:
    """The zones where `now` is Monday 10:00–10:59 local, with that Monday."""
    return [zone_day for zone_day in zones_in_notice_hour(now) if zone_day.local_date.weekday() == 0]


@periodic_job(RECAP_JOB, "0 * * * *")
async def generate_weekly_recaps(context: JobContext, now: datetime) -> Counter[str]:
    """Last week's recap of the users for whom `now` is Monday in the local notice hour."""
    counts: Counter[str] = Counter()
    zone_days = zones_at_monday_notice_hour(now)
    if not zone_days:
        return counts
    after = FIRST_PAGE_AFTER
    inline: list[RecapTarget] = []

    async def run_batch(tx: Transaction) -> bool:
        nonlocal after, inline
        catalog = await plan_catalog(tx.connection)
        plans = [plan.id for plan in catalog.plans if plan.feature_set().has(Feature.WEEKLY_RECAP)]
        page = await recap_candidates(tx.connection, zone_days, plans, after=after, limit=PAGE_SIZE)
        counts.update(candidates=len(page))
        if after == FIRST_PAGE_AFTER and len(page) <= INLINE_MAX:
            inline = page
            return False
        chunks = [page[start : start + CHUNK_SIZE] for start in range(0, len(page), CHUNK_SIZE)]
        tx.enqueue_many(BUILD_CHUNK, ([_encode(chunk), now.isoformat()] for chunk in chunks))
        counts.update(chunks=len(chunks))
        if page:
            after = page[-1].user_id
        return len(page) == PAGE_SIZE

    if not await run_locked_batches(context.database, RECAP_JOB, run_batch):
        counts["locked"] += 1
        return counts
    # After the locked transaction: no transaction stays open while the model writes.
    if inline:
        counts.update(await build_recap_chunk(context, inline, now))
    return counts


async def build_recap_chunk(
    context: JobContext, targets: Sequence[RecapTarget], now: datetime
) -> Counter[str]:
    """One chunk: numbers (one short transaction), texts (no transaction), write and notify (another)."""
    drafts = await draft_recaps(context.database, context.ai, targets, skip_existing=True)
    async with context.database.transaction() as tx:
        stored = await store_recaps(tx.connection, drafts, now=now, replace=False)
        created = await announce_recaps(tx, stored, now=now)
    return Counter(
        targets=len(targets),
        drafted=len(drafts),
        written=len(stored),
        notified=len(created.notification_ids),
        deliveries=created.deliveries,
    )


def _encode(targets: Sequence[RecapTarget]) -> list[list[str]]:
    return [[str(target.user_id), target.week_start.isoformat()] for target in targets]


def decode_targets(encoded: Sequence[Sequence[str]]) -> list[RecapTarget]:
    return [RecapTarget(UUID(user_id), date.fromisoformat(week_start)) for user_id, week_start in encoded]


@house_actor(
    BUILD_CHUNK.actor_name, queue=BUILD_CHUNK.queue_name, max_retries=3, time_limit_ms=CHUNK_TIME_LIMIT_MS
)
async def build_chunk(targets: list[list[str]], run_at: str) -> None:
    # Stamped with the later of the run and now: a chunk that waited in the queue still writes its
    # recap (the week is over either way); generated_at and the notice carry when it was written.
    now = max(datetime.now(UTC), datetime.fromisoformat(run_at))
    context = worker_job_context()
    decoded = decode_targets(targets)
    await run_logged(BUILD_CHUNK.actor_name, lambda: build_recap_chunk(context, decoded, now))
