"""The coach in the workers (client-behaviour §7.3): `coach.reply` answers a pending user message,
`coach.title` names a new conversation after its first reply, and `coach.sweep` makes sure no message
waits forever.

`coach.reply` (queue `coach`) runs services/coach/reply.answer_message: claim, model, store fenced by
the claim, the fallback reply when the model gives nothing in time. An error (the database refusing a
connection) is retried by Dramatiq within seconds; a run that failed after its claim, or died, leaves the
message pending with its claim, which a retry leaves alone, and the sweep decides.

`coach.sweep` (every minute) looks at pending user messages nobody holds a live claim on for
COACH_CLAIM_LEASE_SECONDS (never claimed since they were created — a message lost on its way — or
claimed by a run whose lease ran out — a worker killed or stuck): it sends each to a worker again
while it has had fewer than MAX_TURN_ATTEMPTS attempts (every claim and every re-drive is one) and is
younger than GIVE_UP_AFTER; the rest it marks failed and gives their reserved daily message back, so
the app offers a retry. The re-driven run, past the deadline by then, stores the fallback reply.
"""

from __future__ import annotations

from collections import Counter
from datetime import UTC, datetime, timedelta
from typing import Final
from uuid import UUID

from db.coach_turns import redrive_stuck
from services.addresses import COACH_REPLY, COACH_TITLE
from services.coach.reply import answer_message, name_conversation
from workers.actor import house_actor
from workers.periodic_jobs import JobContext, periodic_job, run_logged, worker_job_context

SWEEP_JOB: Final = "coach.sweep"
MAX_TURN_ATTEMPTS: Final = 3
GIVE_UP_AFTER: Final = timedelta(minutes=10)
SWEEP_BATCH: Final = 500


# Retried soon after an error (a database that refused a connection): a retry of a turn already
# claimed finds the live claim and does nothing, so only a turn that never got claimed runs again.
@house_actor(
    COACH_REPLY.actor_name,
    queue=COACH_REPLY.queue_name,
    max_retries=3,
    min_backoff_ms=500,
    max_backoff_ms=4_000,
    time_limit_ms=120_000,
)
async def reply_actor(message_id: str) -> None:
    context = worker_job_context()

    async def run() -> dict[str, int]:
        result = await answer_message(
            context.database, context.ai, context.settings, UUID(message_id), clock=lambda: datetime.now(UTC)
        )
        return {result.outcome.value: 1}

    await run_logged(COACH_REPLY.actor_name, run)


@house_actor(
    COACH_TITLE.actor_name, queue=COACH_TITLE.queue_name, max_retries=1, time_limit_ms=30_000, priority=10
)
async def title_actor(message_id: str) -> None:
    context = worker_job_context()

    async def run() -> dict[str, int]:
        named = await name_conversation(context.database, context.ai, UUID(message_id))
        return {"named" if named else "kept": 1}

    await run_logged(COACH_TITLE.actor_name, run)


@periodic_job(SWEEP_JOB, "* * * * *")
async def sweep_coach_turns(context: JobContext, now: datetime) -> Counter[str]:
    """Coach messages left waiting: sent to a worker again, or failed with their quota given back."""
    lease = timedelta(seconds=context.settings.coach_claim_lease_seconds)
    async with context.database.transaction() as tx:
        stuck = await redrive_stuck(
            tx.connection,
            now=now,
            stuck_after=lease,
            give_up_after=GIVE_UP_AFTER,
            max_attempts=MAX_TURN_ATTEMPTS,
            limit=SWEEP_BATCH,
        )
        tx.enqueue_many(COACH_REPLY, ([str(message_id)] for message_id in stuck.redriven))
    return Counter(redriven=len(stuck.redriven), failed=stuck.failed)
