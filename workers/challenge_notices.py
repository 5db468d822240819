"""challenges.notify_chunk: one chunk (≤ 50 participants) of a challenge notice fan-out (§3.6).

The message carries the notice and its recipients (services/challenge_notices.py builds it); the
notices are written in one transaction with one notify(), and their dedupe keys make a retry or a
doubled message harmless.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from domain.challenge_notices import ChallengeNotice, Recipient
from services.addresses import CHALLENGE_NOTIFY_CHUNK
from services.challenge_notices import notify_chunk
from workers.actor import house_actor
from workers.periodic_jobs import run_logged, worker_job_context


@house_actor(
    CHALLENGE_NOTIFY_CHUNK.actor_name,
    queue=CHALLENGE_NOTIFY_CHUNK.queue_name,
    max_retries=5,
    time_limit_ms=60_000,
)
async def notify_chunk_actor(notice: dict[str, Any], recipients: list[list[Any]]) -> None:
    context = worker_job_context()
    parsed = ChallengeNotice.from_payload(notice)
    chunk = [Recipient.from_payload(recipient) for recipient in recipients]

    async def run() -> dict[str, int]:
        async with context.database.transaction() as tx:
            created = await notify_chunk(tx, parsed, chunk, now=datetime.now(UTC))
        return {"recipients": len(chunk), "written": len(created.notification_ids)}

    await run_logged(CHALLENGE_NOTIFY_CHUNK.actor_name, run)
