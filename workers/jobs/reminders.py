"""The reminder at each reminder time of an active goal (ai_motivation; §3.11, §4 send_reminder_motivations).

`reminders.tick` runs every minute under the job lock. It finds the due slots through the
next_fire_at index and advances those more than the bound late without sending. It notifies up to
100 due slots itself; a larger set (the 18:00 peak) is claimed 1,000 slots per transaction, and each
committed batch leaves as `reminders.send_chunk` messages of 100 slots, so the peak spreads over the
workers (trap 30) while the rest is still being claimed. A chunk re-reads its slots, still due and
locked SKIP LOCKED, writes the notices under `ai_motivation:<goal>:<user>:<local date>:<HH:MM>` and
advances the slots in the same transaction: a doubled message or tick sends nothing twice, and a slot
whose message was lost is claimed again once its lease runs out.

The text is the one prepared ahead for that occurrence by `reminder_texts.prepare`
(workers/jobs/reminder_texts.py), read with the slot; without one, the style's template (§3.12
fallback). The send path never calls the model, so the peak never waits for one, and a retried chunk
sends the same stored text.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence
from datetime import UTC, date, datetime, timedelta
from enum import StrEnum
from typing import Protocol
from uuid import UUID

from db.due_reminders import DueReminder, claim_slots, load_due_reminders, select_due_slots
from db.notifications import NotificationDraft
from db.reminder_slots import advance_scheduled_slots, advance_slots
from domain.dedupe_keys import ai_motivation_key
from domain.notification_copy.reminders import (
    ReminderItemType,
    ReminderText,
    reminder_notification,
    reminder_template,
)
from domain.schedule import is_scheduled
from domain.streaks import CheckInStatus
from services.messages import ActorAddress
from services.notify import notify
from services.transaction import Transaction
from workers.actor import house_actor
from workers.periodic_jobs import (
    JobContext,
    is_stale,
    periodic_job,
    run_locked_batches,
    run_logged,
    worker_job_context,
)

TICK_JOB = "reminders.tick"
SEND_CHUNK = ActorAddress("reminders.send_chunk", queue_name="reminders")
# §4: 100 slots per worker message; a tick with no more than this many due notifies them itself.
CHUNK_SIZE = 100
# A claimed slot whose chunk has not advanced it within this time is claimed again (message lost or
# worker killed). Far below the staleness bound, far above a chunk's normal run time.
CLAIM_LEASE = timedelta(minutes=5)
# Slots claimed per transaction: 10 chunk messages leave with each commit.
CLAIM_BATCH_SIZE = 1_000
# One tick takes at most this many due slots (2,000 messages); a larger peak spills into the next tick.
MAX_DUE_PER_TICK = 200_000


def reminder_text(reminder: DueReminder) -> ReminderText:
    """The text prepared for this occurrence, else the §3.12 fallback: one of the style's three
    templates, picked stably per occurrence (a retried chunk writes the same text), changing from day
    to day and between the reminders of a day."""
    if reminder.prepared_title and reminder.prepared_body:
        return ReminderText(reminder.prepared_title, reminder.prepared_body)
    return reminder_template(
        reminder.motivation_style,
        reminder.goal_title,
        reminder.user_name,
        variant=reminder.local_date.toordinal() + int(reminder.reminder_time[:2]),
    )


class ReminderOutcome(StrEnum):
    SEND = "sendable"
    STALE = "stale"
    ANSWERED = "answered"
    NOT_SCHEDULED = "not_scheduled"  # goal no longer active, or not scheduled on that local date


class ReminderFacts(Protocol):
    """What decides a reminder's outcome: a due reminder, or one whose text is being prepared."""

    @property
    def fire_at(self) -> datetime: ...
    @property
    def local_date(self) -> date: ...
    @property
    def goal_status(self) -> str: ...
    @property
    def frequency_type(self) -> str: ...
    @property
    def target_days(self) -> list[int] | None: ...
    @property
    def checkin_status(self) -> str | None: ...


def reminder_outcome(reminder: ReminderFacts, *, now: datetime, stale_after: timedelta) -> ReminderOutcome:
    if is_stale(reminder.fire_at, now=now, bound=stale_after):
        return ReminderOutcome.STALE
    if reminder.goal_status != "active" or not is_scheduled(
        reminder.frequency_type, reminder.target_days, reminder.local_date
    ):
        return ReminderOutcome.NOT_SCHEDULED
    # A missing row (the day's pending row not created yet) is unanswered too.
    if reminder.checkin_status not in (None, CheckInStatus.PENDING):
        return ReminderOutcome.ANSWERED
    return ReminderOutcome.SEND


def _dedupe_key(reminder: DueReminder) -> str:
    return ai_motivation_key(reminder.goal_id, reminder.user_id, reminder.local_date, reminder.reminder_time)


async def notify_due_reminders(
    tx: Transaction,
    slot_ids: Sequence[UUID],
    *,
    now: datetime,
    stale_after: timedelta,
) -> Counter[str]:
    """Notify the still-due slots among `slot_ids` and advance every one of them, in `tx`."""
    due = await load_due_reminders(tx.connection, slot_ids, now=now)
    outcomes = [reminder_outcome(reminder, now=now, stale_after=stale_after) for reminder in due]
    to_send = [
        reminder for reminder, outcome in zip(due, outcomes, strict=True) if outcome is ReminderOutcome.SEND
    ]
    drafts = [
        NotificationDraft(
            reminder.user_id,
            reminder_notification(ReminderItemType.GOAL, reminder.goal_id, reminder_text(reminder)),
            dedupe_key=_dedupe_key(reminder),
        )
        for reminder in to_send
    ]
    created = await notify(tx, drafts, now=now)
    await advance_scheduled_slots(tx.connection, [reminder.schedule for reminder in due], now=now)
    counts = Counter(outcome.value for outcome in outcomes)
    counts.update(
        notified=len(created.notification_ids),
        deliveries=created.deliveries,
        prepared_text=sum(1 for reminder in to_send if reminder.prepared_title and reminder.prepared_body),
    )
    return counts


@periodic_job(TICK_JOB, "* * * * *")
async def tick_reminders(context: JobContext, now: datetime) -> Counter[str]:
    """Goal reminders due at `now`: the stale dropped, the rest notified inline (≤ 100) or claimed.

    Claims go in batches of 1,000 slots, each committed and fanned out as chunk messages before the
    next is claimed (the first chunks run while the rest of an 18:00 peak is still being claimed)."""
    counts: Counter[str] = Counter()
    unclaimed: list[UUID] | None = None

    async def handle_batch(tx: Transaction) -> bool:
        nonlocal unclaimed
        if unclaimed is None:
            unclaimed = await _drop_stale(tx, context, now, counts)
            if not unclaimed:
                return False
            if len(unclaimed) <= CHUNK_SIZE:
                notified = await notify_due_reminders(tx, unclaimed, now=now, stale_after=context.stale_after)
                counts.update(notified)
                return False
        batch, unclaimed = unclaimed[:CLAIM_BATCH_SIZE], unclaimed[CLAIM_BATCH_SIZE:]
        claimed = await claim_slots(tx.connection, batch, now=now, lease=CLAIM_LEASE)
        chunks = [claimed[start : start + CHUNK_SIZE] for start in range(0, len(claimed), CHUNK_SIZE)]
        tx.enqueue_many(
            SEND_CHUNK, ([[str(slot_id) for slot_id in chunk], now.isoformat()] for chunk in chunks)
        )
        counts.update(claimed=len(claimed), chunks=len(chunks))
        return bool(unclaimed)

    if not await run_locked_batches(context.database, TICK_JOB, handle_batch):
        counts["locked"] += 1
    return counts


async def _drop_stale(
    tx: Transaction, context: JobContext, now: datetime, counts: Counter[str]
) -> list[UUID]:
    """The due slots at `now`; those more than the bound late are advanced here without a notice."""
    due = await select_due_slots(tx.connection, now=now, lease=CLAIM_LEASE, limit=MAX_DUE_PER_TICK)
    stale = {slot.slot_id for slot in due if is_stale(slot.fire_at, now=now, bound=context.stale_after)}
    if stale:
        await advance_slots(tx.connection, list(stale), now=now)
    counts.update(due=len(due), stale=len(stale))
    return [slot.slot_id for slot in due if slot.slot_id not in stale]


async def send_reminder_chunk(context: JobContext, slot_ids: Sequence[UUID], now: datetime) -> Counter[str]:
    """One `reminders.send_chunk` message: its slots, in one transaction."""
    async with context.database.transaction() as tx:
        return await notify_due_reminders(tx, slot_ids, now=now, stale_after=context.stale_after)


@house_actor(SEND_CHUNK.actor_name, queue=SEND_CHUNK.queue_name, max_retries=3, time_limit_ms=60_000)
async def send_chunk(slot_ids: list[str], tick_now: str) -> None:
    # Never earlier than the tick that claimed the slots (they are due by then); later when the queue
    # was slow, so a chunk that waited past the bound drops its reminders instead of sending them late.
    now = max(datetime.now(UTC), datetime.fromisoformat(tick_now))
    context = worker_job_context()
    ids = [UUID(slot_id) for slot_id in slot_ids]
    await run_logged(SEND_CHUNK.actor_name, lambda: send_reminder_chunk(context, ids, now))
