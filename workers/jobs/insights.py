"""Goal insights in the workers (docs/domain.md §3.14, §4 detect_patterns).

`insights.detect_patterns` runs Mondays at 02:00 UTC under the job lock. It walks the users whose plan
grants pattern_detection and who have an active goal, by id, 500 per transaction, and sends them as
`insights.detect_chunk` messages of 50 users. A chunk reads the facts of all its users' active goals
in one statement, stores insufficient_data or claims the rest in one statement each, asks the model
outside any transaction and stores every result in one statement. The row of each goal is overwritten
(the previous metrics keep the last run's); a goal generated in the last 24 hours (a refresh, or a
repeated run or message) is left as it is, so running the job twice pays the model once.

`insights.finish` completes a generation a request left past its budget: it generates only while the
request's claim still holds the row, so a doubled message or a slow first run stores nothing twice.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Mapping, Sequence
from datetime import UTC, datetime
from typing import Final
from uuid import UUID

from db.insight_facts import premium_goal_facts, premium_users_page
from services.addresses import AI_QUEUE, INSIGHTS_FINISH
from services.goal_insights import FRESH_FOR, claim_goals, complete_generation, resume_claims
from services.messages import ActorAddress
from services.transaction import Transaction
from workers.actor import house_actor
from workers.periodic_jobs import JobContext, periodic_job, run_locked_batches, run_logged, worker_job_context

DETECT_JOB: Final = "insights.detect_patterns"
DETECT_CHUNK: Final = ActorAddress("insights.detect_chunk", AI_QUEUE)
# docs/domain.md §4: chunks of 50 users per worker message.
CHUNK_USERS: Final = 50
PAGE_USERS: Final = 500


@periodic_job(DETECT_JOB, "0 2 * * 1")
async def detect_patterns(context: JobContext, now: datetime) -> Counter[str]:
    """Premium users' active goals: their insights generated again, as chunk messages of 50 users."""
    counts: Counter[str] = Counter()
    after: UUID | None = None

    async def run_batch(tx: Transaction) -> bool:
        nonlocal after
        page = await premium_users_page(tx.connection, after=after, limit=PAGE_USERS)
        chunks = [page[start : start + CHUNK_USERS] for start in range(0, len(page), CHUNK_USERS)]
        tx.enqueue_many(DETECT_CHUNK, ([[str(user_id) for user_id in chunk]] for chunk in chunks))
        counts.update(users=len(page), chunks=len(chunks))
        after = page[-1] if page else None
        return len(page) == PAGE_USERS

    if not await run_locked_batches(context.database, DETECT_JOB, run_batch):
        counts["locked"] += 1
    return counts


async def detect_patterns_for(
    context: JobContext, user_ids: Sequence[UUID], *, now: datetime
) -> Counter[str]:
    """One chunk: the insights of every active goal of those users still on a plan with the feature."""
    async with context.database.transaction() as tx:
        rows = await premium_goal_facts(tx.connection, user_ids, now=now)
        prepared = await claim_goals(tx.connection, rows, now=now, fresh_after=now - FRESH_FOR)
    stored = await complete_generation(context.database, context.ai, prepared, now=now)
    return Counter(goals=len(rows), claimed=len(prepared), stored=len(stored))


async def finish_generations(
    context: JobContext, claims: Mapping[UUID, UUID], *, now: datetime
) -> Counter[str]:
    """Complete the generations (goal id → claim id) whose claims still hold their rows."""
    async with context.database.transaction() as tx:
        prepared = await resume_claims(tx.connection, claims, now=now)
    stored = await complete_generation(context.database, context.ai, prepared, now=now)
    return Counter(held=len(prepared), stored=len(stored))


# A chunk runs up to 50 users' goals through the model, MODEL_CALLS_AT_ONCE (5) at a time; a chunk
# killed past its limit leaves rows generating, free again after services.goal_insights'
# STALE_GENERATING (15 minutes, above this limit).
@house_actor(DETECT_CHUNK.actor_name, time_limit_ms=600_000, max_retries=2)
async def detect_chunk(user_ids: list[str]) -> None:
    context = worker_job_context()
    ids = [UUID(user_id) for user_id in user_ids]
    await run_logged(
        DETECT_CHUNK.actor_name, lambda: detect_patterns_for(context, ids, now=datetime.now(UTC))
    )


@house_actor(
    INSIGHTS_FINISH.actor_name, queue=INSIGHTS_FINISH.queue_name, time_limit_ms=120_000, max_retries=2
)
async def finish(goal_id: str, claim_id: str) -> None:
    context = worker_job_context()
    claims = {UUID(goal_id): UUID(claim_id)}
    await run_logged(
        INSIGHTS_FINISH.actor_name, lambda: finish_generations(context, claims, now=datetime.now(UTC))
    )
