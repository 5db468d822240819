"""The push actors. Thin: each builds its dependencies and calls a plain function tests call directly."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import dramatiq

from workers.actor import house_actor
from workers.push.addresses import PUSH_DELIVER, PUSH_PRUNE, PUSH_QUEUE, PUSH_RECEIPTS, PUSH_SWEEP
from workers.push.delivery import deliver_due_batch
from workers.push.receipts import check_push_receipts
from workers.push.retention import prune_old_deliveries
from workers.push.runtime import PushRuntime
from workers.push.sweep import sweep_stalled_deliveries
from workers.resources import WorkerResources

dramatiq.get_broker().add_middleware(PushRuntime())


# A batch waits at most a third of the claim lease for permits and ~45 s for Expo (client timeouts).
@house_actor(PUSH_DELIVER.actor_name, queue=PUSH_QUEUE, time_limit_ms=240_000, max_retries=3)
async def deliver() -> None:
    await deliver_due_batch(await PushRuntime.sender())


@house_actor(
    PUSH_RECEIPTS.actor_name, queue=PUSH_QUEUE, periodic="*/5 * * * *", time_limit_ms=600_000, max_retries=0
)
async def check_receipts() -> None:
    sender = await PushRuntime.sender()
    settings = WorkerResources.current().settings
    await check_push_receipts(
        sender.database,
        sender.client,
        sender.enqueuer,
        delay=timedelta(seconds=settings.push_receipt_delay_seconds),
        now=datetime.now(UTC),
    )


@house_actor(PUSH_SWEEP.actor_name, queue=PUSH_QUEUE, periodic="*/5 * * * *", max_retries=0)
async def sweep() -> None:
    sender = await PushRuntime.sender()
    await sweep_stalled_deliveries(sender.database, sender.enqueuer, sender.markers, now=datetime.now(UTC))


@house_actor(
    PUSH_PRUNE.actor_name, queue=PUSH_QUEUE, periodic="40 * * * *", time_limit_ms=600_000, max_retries=0
)
async def prune() -> None:
    await prune_old_deliveries(WorkerResources.current().database, now=datetime.now(UTC))
