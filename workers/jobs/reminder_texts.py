"""Goal reminder texts written ahead of their fire time (§3.12, docs/scheduling.md "Reminder texts").

The 18:00 peak must not wait for 100,000 model calls, so the calls happen in the hours before:
`reminder_texts.prepare` runs every minute under the job lock and claims the goal slots firing within
REMINDER_TEXT_LOOKAHEAD_MINUTES (120) whose occurrence has no text yet, earliest first, at most
REMINDER_TEXTS_PER_MINUTE (400) a run (1,000 per transaction): the model's shared per-minute budget
refuses calls over it, so claiming a whole peak at once would turn most of it into templates. The
claims leave as `reminder_texts.write_chunk` messages of 50 on their own queue, so the generation
spreads over every worker and never delays the `reminders` queue.

A chunk reads its slots' prompt inputs in one statement, drops the pushes the gates would skip at fire
time (nothing is generated for them: notifications or reminders off, no active device, quiet hours at
the fire time, goal not active or not scheduled that day, already answered), calls the model for the
rest concurrently outside any transaction with a deadline that ends before the earliest fire time,
validates the answers and stores them in one UPDATE that only touches slots still on the claimed
occurrence. At fire time `reminders.tick` uses the stored text, or the template.

A slot whose generation failed keeps its claim and is claimed again once the lease (15 minutes) runs
out, while it still fires more than a minute ahead: an outage or a spent budget costs a few retries in
the window, never a reminder. With no model configured the job claims nothing.
"""

from __future__ import annotations

import time
from collections import Counter
from collections.abc import Sequence
from datetime import UTC, datetime, timedelta
from typing import Final
from uuid import UUID

from db.reminder_texts import (
    PreparedText,
    TextCandidate,
    claim_text_slots,
    load_text_candidates,
    store_prepared_texts,
)
from services.ai.model import NO_MODEL
from services.ai.reminder_texts import write_reminder_texts
from services.messages import ActorAddress
from services.transaction import Transaction
from workers.actor import house_actor
from workers.jobs.reminders import ReminderOutcome, reminder_outcome
from workers.periodic_jobs import JobContext, periodic_job, run_locked_batches, run_logged, worker_job_context

PREPARE_JOB = "reminder_texts.prepare"
WRITE_CHUNK = ActorAddress("reminder_texts.write_chunk", queue_name="reminder_texts")
# Slots per chunk message: 50 concurrent calls, one statement to read them and one to write them.
CHUNK_SIZE: Final = 50
# Slots claimed per transaction (20 chunk messages leave with each commit).
CLAIM_BATCH_SIZE: Final = 1_000
# A run claims at most REMINDER_TEXTS_PER_MINUTE slots (it runs every minute), or this many unpaced.
MAX_CLAIMS_PER_RUN: Final = 200_000
# A claim not released within this time is taken again: its message was lost, its worker died, or its
# generation failed (the retry). Far above a chunk's run time; a chunk still queued when its claim is
# taken again finds its slots gone and does nothing, so a slow queue costs messages, not calls.
TEXT_CLAIM_LEASE: Final = timedelta(minutes=15)
# A slot firing sooner than this is not claimed: its reminder uses the template.
MIN_LEAD: Final = timedelta(minutes=1)
# Texts are stored at least this long before their fire time, so the write never holds a row lock
# while the reminders tick reads the slot.
FIRE_MARGIN: Final = timedelta(seconds=15)
# The deadline of a chunk's calls (retries included): this, or less when a slot fires sooner.
MAX_CALL_SECONDS: Final = 30.0
# Below this there is no point calling: the chunk's slots keep the template.
MIN_CALL_SECONDS: Final = 2.0


@periodic_job(PREPARE_JOB, "* * * * *")
async def prepare_reminder_texts(context: JobContext, now: datetime) -> Counter[str]:
    """Claim the goal reminders firing within the look-ahead window that have no text yet, in chunks."""
    counts: Counter[str] = Counter()
    if context.ai is NO_MODEL:
        counts["no_model"] += 1
        return counts
    fire_until = now + timedelta(minutes=context.settings.reminder_text_lookahead_minutes)
    quota = context.settings.reminder_texts_per_minute or MAX_CLAIMS_PER_RUN

    async def handle_batch(tx: Transaction) -> bool:
        limit = min(CLAIM_BATCH_SIZE, quota - counts["claimed"])
        claimed = await claim_text_slots(
            tx.connection,
            now=now,
            fire_from=now + MIN_LEAD,
            fire_until=fire_until,
            lease=TEXT_CLAIM_LEASE,
            limit=limit,
        )
        ids = [str(slot.slot_id) for slot in claimed]
        chunks = [ids[start : start + CHUNK_SIZE] for start in range(0, len(ids), CHUNK_SIZE)]
        tx.enqueue_many(WRITE_CHUNK, ([chunk, now.isoformat()] for chunk in chunks))
        counts.update(claimed=len(claimed), chunks=len(chunks))
        return len(claimed) == limit and counts["claimed"] < quota

    if not await run_locked_batches(context.database, PREPARE_JOB, handle_batch):
        counts["locked"] += 1
    return counts


def _skip_reason(candidate: TextCandidate, stale_after: timedelta) -> str | None:
    """Why no text is written for this slot: its push would not go out at fire time."""
    outcome = reminder_outcome(candidate, now=candidate.fire_at, stale_after=stale_after)
    if outcome is not ReminderOutcome.SEND:
        return outcome.value
    if candidate.push_skip_reason is not None:
        return "gated"
    return None


def _call_deadline(candidates: Sequence[TextCandidate], now: datetime) -> float:
    """Seconds the chunk's calls may take: they end FIRE_MARGIN before its earliest fire time."""
    earliest = min(candidate.fire_at for candidate in candidates)
    return min(MAX_CALL_SECONDS, (earliest - FIRE_MARGIN - now).total_seconds())


async def _generate(
    context: JobContext, to_write: Sequence[TextCandidate], now: datetime, counts: Counter[str]
) -> list[PreparedText]:
    """The texts of `to_write` that the model gave within the deadline. A failed slot is left out: it
    keeps its claim and is tried again after the lease. With no time left, all are handled without one."""
    deadline = _call_deadline(to_write, now)
    if deadline < MIN_CALL_SECONDS:
        counts["too_late"] += len(to_write)
        return [PreparedText(candidate.slot_id, None, None) for candidate in to_write]
    texts = await write_reminder_texts(
        context.ai, [candidate.prompt_inputs for candidate in to_write], deadline_seconds=deadline
    )
    prepared = [
        PreparedText(candidate.slot_id, text.title, text.body)
        for candidate, text in zip(to_write, texts, strict=True)
        if text is not None
    ]
    counts.update(generated=len(prepared), failed=len(texts) - len(prepared))
    return prepared


async def write_text_chunk(
    context: JobContext, slot_ids: Sequence[UUID], *, claimed_at: datetime, now: datetime
) -> Counter[str]:
    """One `reminder_texts.write_chunk` message: one read, the calls (no connection held), one write."""
    started = time.monotonic()
    async with context.database.single_statement() as connection:
        candidates = await load_text_candidates(connection, slot_ids, claimed_at=claimed_at)
    counts: Counter[str] = Counter(candidates=len(candidates), not_held=len(slot_ids) - len(candidates))
    to_write: list[TextCandidate] = []
    prepared: list[PreparedText] = []
    for candidate in candidates:
        reason = _skip_reason(candidate, context.stale_after)
        if reason is None:
            to_write.append(candidate)
        else:
            counts[f"skipped_{reason}"] += 1
            prepared.append(PreparedText(candidate.slot_id, None, None))
    if to_write:
        prepared.extend(await _generate(context, to_write, now, counts))
    written_at = now + timedelta(seconds=time.monotonic() - started)
    async with context.database.single_statement() as connection:
        counts["stored"] = await store_prepared_texts(
            connection, prepared, claimed_at=claimed_at, not_firing_before=written_at + FIRE_MARGIN
        )
    return counts


@house_actor(WRITE_CHUNK.actor_name, queue=WRITE_CHUNK.queue_name, max_retries=0, time_limit_ms=90_000)
async def write_chunk(slot_ids: list[str], claimed_at: str) -> None:
    # Not retried: a chunk that failed leaves its claims, which the next run after the lease takes again.
    context = worker_job_context()
    ids = [UUID(slot_id) for slot_id in slot_ids]
    claim = datetime.fromisoformat(claimed_at)
    await run_logged(
        WRITE_CHUNK.actor_name,
        lambda: write_text_chunk(context, ids, claimed_at=claim, now=datetime.now(UTC)),
    )
