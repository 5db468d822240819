"""sweep_stalled_deliveries (docs/domain.md §4): nothing lost when a message or a worker is.

Every minute, and at once when the supervisor sees a worker process die (workers/supervisor.py):
1. Claims whose rows are still pending although their worker is gone: its process stopped beating
   (workers/liveness.py; seconds after a kill) or its lease lapsed (a worker alive but stuck). The
   claim fence of each (workers/push/claim_fence.py) decides: the sweeper revokes the claim unless the
   worker had entered the send — revoked, the rows are released and sent again (and the worker, if it
   only stalled, sends nothing when it wakes); entered, the request may have reached Expo, so each row
   follows its category's policy for an ambiguous send (domain/delivery_policy.py): sent, unconfirmed,
   never resent (the default), or released and sent again (at least once: requests, invitations,
   billing), counted as resent_after_ambiguous.
2. Due rows nobody is working on (a dropped Redis message, a lost delayed retry, the rows just
   released) get push.deliver messages again, one per 100 rows. Workers chain further messages while
   batches come back full, so a few suffice for any backlog; the cap keeps a big one from flooding
   the queue.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from datetime import datetime
from typing import Final

import redis.asyncio as aioredis

from db.push_deliveries import (
    count_due_deliveries,
    lapsed_claims,
    mark_unconfirmed,
    release_claims,
    settle_notifications,
)
from services.addresses import PUSH_DELIVER
from services.transaction import Database
from workers.liveness import DEAD_AFTER, live_owners
from workers.push.claim_fence import ClaimFence
from workers.push.delivery import BATCH_SIZE

MAX_MESSAGES_PER_SWEEP: Final = 20
# Lapsed rows looked at per run; a bigger pile (a mass crash) is finished by the next runs.
MAX_LAPSED_ROWS_PER_SWEEP: Final = 10_000


@dataclass(frozen=True, slots=True)
class SweepReport:
    released: int
    unconfirmed: int
    # Released although their request may have left (at-least-once categories), so possibly doubled.
    resent_after_ambiguous: int
    due: int
    enqueued: int


async def sweep_stalled_deliveries(
    database: Database, fence: ClaimFence, redis: aioredis.Redis, namespace: str, *, now: datetime
) -> SweepReport:
    """`namespace`: the deployment's Dramatiq namespace, under which its worker processes beat."""
    live = await live_owners(redis, namespace, now=now)
    async with database.transaction() as tx:
        claims = await lapsed_claims(
            tx.connection,
            now=now,
            live_owners=live,
            claimed_before=now - DEAD_AFTER,
            limit=MAX_LAPSED_ROWS_PER_SWEEP,
        )
        sent = await fence.revoke([claim.claim_id for claim in claims])
        released, unconfirmed, unconfirmed_notifications, resent = [], [], [], 0
        for claim in claims:
            rows = zip(claim.delivery_ids, claim.notification_ids, claim.resend_when_ambiguous, strict=True)
            for delivery_id, notification_id, resend in rows:
                # A request that may have left: resent only where the category's policy says so.
                if claim.claim_id in sent and not resend:
                    unconfirmed.append(delivery_id)
                    unconfirmed_notifications.append(notification_id)
                else:
                    released.append(delivery_id)
                    resent += claim.claim_id in sent
        await release_claims(tx.connection, released, now=now)
        await mark_unconfirmed(tx.connection, unconfirmed, now=now)
        due = await count_due_deliveries(tx.connection, now=now, cap=MAX_MESSAGES_PER_SWEEP * BATCH_SIZE)
        messages = math.ceil(due / BATCH_SIZE)
        tx.enqueue_many(PUSH_DELIVER, [()] * messages)
    if unconfirmed_notifications:
        async with database.transaction() as tx:
            await settle_notifications(tx.connection, unconfirmed_notifications, now=now)
    return SweepReport(
        released=len(released),
        unconfirmed=len(unconfirmed),
        resent_after_ambiguous=resent,
        due=due,
        enqueued=messages,
    )
