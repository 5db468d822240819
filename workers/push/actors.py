"""The push actors. Thin: each gets the process's sender and calls a plain function tests call directly."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import asdict
from datetime import datetime, timedelta

from services.addresses import PUSH_DELIVER, PUSH_QUEUE
from workers.actor import house_actor
from workers.periodic_jobs import JobContext, periodic_job
from workers.push.delivery import deliver_due_batch
from workers.push.receipts import check_push_receipts
from workers.push.retention import prune_old_deliveries
from workers.push.runtime import SWEEP_CRON, push_sender
from workers.push.sweep import sweep_stalled_deliveries

# Long batches of receipts or deletions: past a minute, yet well inside the next run's start.
LONG_PUSH_JOB_MS = 600_000


# A batch waits at most a third of the claim lease for permits and ~45 s for Expo (client timeouts).
@house_actor(PUSH_DELIVER.actor_name, queue=PUSH_QUEUE, time_limit_ms=240_000, max_retries=3)
async def deliver() -> None:
    await deliver_due_batch(await push_sender())


@periodic_job("push.receipts", "*/5 * * * *", queue=PUSH_QUEUE, time_limit_ms=LONG_PUSH_JOB_MS)
async def check_receipts(context: JobContext, now: datetime) -> Mapping[str, int]:
    """Fetch Expo receipts for deliveries sent ~15 minutes ago; deactivate dead tokens."""
    sender = await push_sender()
    delay = timedelta(seconds=context.settings.push_receipt_delay_seconds)
    report = await check_push_receipts(context.database, sender.client, delay=delay, now=now)
    counts = {name: value for name, value in asdict(report).items() if isinstance(value, int)}
    return counts | {"receipt_errors": report.errors.total()}


@periodic_job("push.sweep", SWEEP_CRON, queue=PUSH_QUEUE)
async def sweep(context: JobContext, now: datetime) -> Mapping[str, int]:
    """Take back the claims of dead or stuck workers; wake the workers for due rows whose message was lost."""
    sender = await push_sender()
    report = await sweep_stalled_deliveries(
        context.database, sender.fence, context.redis, context.settings.dramatiq_namespace, now=now
    )
    return asdict(report)


@periodic_job("push.prune", "40 * * * *", queue=PUSH_QUEUE, time_limit_ms=LONG_PUSH_JOB_MS)
async def prune(context: JobContext, now: datetime) -> Mapping[str, int]:
    """Delete finished delivery rows past the receipt window, 500 per transaction."""
    return {"deleted": await prune_old_deliveries(context.database, now=now)}
