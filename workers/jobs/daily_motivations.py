"""Each morning's daily motivation, written ahead of the user's local morning (docs client-behaviour §5,
issue 11), so that opening the app finds it instead of waiting for the model.

`motivations.prepare` runs every 10 minutes under the job lock. Through the partial index on
users.next_morning_motivation_at it claims, 500 per transaction, the active users whose morning
motivation instant falls within the next LEAD and who have no row for that morning's local date yet
(db/due_daily_motivations.py `claim_morning_motivations`); each committed batch leaves as
`motivations.write_chunk` messages of 50 users. A chunk reads what each motivation is written from
(one statement), asks the model for all of them concurrently with no transaction or connection held,
and inserts the rows in one statement, ON CONFLICT DO NOTHING: a row that a request wrote meanwhile
stays. A text the model does not give is the style's template, as on GET /today, so the job asks the model at
most once per user and day (a chunk retried after a failed insert asks again; premium regenerations
and a GET /today that beats the job to the row are calls of their own).

A claim younger than CLAIM_LEASE keeps a user from being claimed again, so overlapping or repeated
runs send no second message; a user whose message was lost is claimed again once the lease ran out
(while the morning is still ahead), and GET /today writes the row on first open otherwise. Users
without a morning instant (the morning notice off, or not onboarded) get theirs on first open.
"""

from __future__ import annotations

import asyncio
from collections import Counter
from collections.abc import Sequence
from datetime import UTC, date, datetime, timedelta
from typing import Final
from uuid import UUID

from db.daily_motivations import MotivationDraft, motivation_subjects, store_motivations
from db.due_daily_motivations import claim_morning_motivations
from domain.daily_motivation import pick_background_style, template_motivation
from services.addresses import AI_QUEUE
from services.ai.daily_motivation import write_motivation
from services.messages import ActorAddress
from services.transaction import Transaction
from workers.actor import house_actor
from workers.periodic_jobs import JobContext, periodic_job, run_locked_batches, run_logged, worker_job_context

PREPARE_JOB = "motivations.prepare"
WRITE_CHUNK = ActorAddress("motivations.write_chunk", queue_name=AI_QUEUE)
# Written up to this long before the morning instant: the 10-minute cadence gets several chances.
LEAD: Final = timedelta(hours=2)
# Far above a chunk's run time (model calls included), below LEAD: a lost message is retried in time.
CLAIM_LEASE: Final = timedelta(minutes=30)
CLAIM_BATCH_SIZE: Final = 500
# Model calls one message makes at once (the client's own concurrency cap still applies).
CHUNK_SIZE: Final = 50


@periodic_job(PREPARE_JOB, "*/10 * * * *")
async def prepare_daily_motivations(context: JobContext, now: datetime) -> Counter[str]:
    """Claim the users whose morning is within LEAD and send them to be written, 50 per message."""
    counts: Counter[str] = Counter()

    async def claim_batch(tx: Transaction) -> bool:
        claimed = await claim_morning_motivations(
            tx.connection, now=now, lead=LEAD, lease=CLAIM_LEASE, limit=CLAIM_BATCH_SIZE
        )
        chunks = [claimed[start : start + CHUNK_SIZE] for start in range(0, len(claimed), CHUNK_SIZE)]
        tx.enqueue_many(
            WRITE_CHUNK, ([[[str(user_id), day.isoformat()] for user_id, day in chunk]] for chunk in chunks)
        )
        counts.update(claimed=len(claimed), chunks=len(chunks))
        return len(claimed) == CLAIM_BATCH_SIZE

    if not await run_locked_batches(context.database, PREPARE_JOB, claim_batch):
        counts["locked"] += 1
    return counts


async def write_daily_motivations(
    context: JobContext, pairs: Sequence[tuple[UUID, date]], *, now: datetime
) -> Counter[str]:
    """One chunk: the motivation of each (user, local date) that has none yet, written and stored."""
    async with context.database.single_statement() as connection:
        subjects = [
            subject for subject in await motivation_subjects(connection, pairs) if not subject.has_row
        ]
    texts = await asyncio.gather(*(write_motivation(context.ai, wanted.subject) for wanted in subjects))
    drafts = [
        MotivationDraft(
            user_id=wanted.user_id,
            local_date=wanted.local_date,
            message=text or template_motivation(wanted.subject),
            background_style=pick_background_style(),
        )
        for wanted, text in zip(subjects, texts, strict=True)
    ]
    async with context.database.single_statement() as connection:
        stored = await store_motivations(connection, drafts, now=now)
    return Counter(
        given=len(pairs),
        written_before=len(pairs) - len(subjects),
        templates=sum(1 for text in texts if text is None),
        stored=len(stored),
    )


@house_actor(WRITE_CHUNK.actor_name, queue=WRITE_CHUNK.queue_name, max_retries=2, time_limit_ms=120_000)
async def write_chunk(pairs: list[list[str]]) -> None:
    context = worker_job_context()
    wanted = [(UUID(user_id), date.fromisoformat(day)) for user_id, day in pairs]
    now = datetime.now(UTC)
    await run_logged(WRITE_CHUNK.actor_name, lambda: write_daily_motivations(context, wanted, now=now))
