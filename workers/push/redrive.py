"""Put pushes that ran out of retries back in the queue: `python -m workers.push.redrive --since-hours N`.

A delivery Expo never took (429, 5xx, connection errors) through its whole retry window — a lasting
Expo outage, or credentials that were wrong for a while — ends failed with ticket_error
RetriesExhausted (workers/push/delivery.py). Once the cause is gone, an operator re-drives them: the
rows become due now, their failed inbox rows pending again, and push.deliver messages wake the workers.
Timed notices still meet the staleness bound when claimed, so a re-drive never sends a stale reminder.
`--dry-run` only counts.
"""

from __future__ import annotations

import argparse
import asyncio
import math
import sys
from collections.abc import Sequence
from datetime import UTC, datetime, timedelta

from db.push_deliveries import redrive_exhausted
from services.addresses import PUSH_DELIVER
from services.transaction import Database
from settings import get_settings
from workers.broker import broker
from workers.push.delivery import BATCH_SIZE
from workers.resources import WorkerResources

POOL_SIZE = 2


async def redrive(
    database: Database, *, created_since: datetime, now: datetime, dry_run: bool = False
) -> int:
    """Re-drive the exhausted deliveries created since `created_since`; returns how many."""
    async with database.transaction() as tx:
        count = await redrive_exhausted(tx.connection, created_since=created_since, now=now, dry_run=dry_run)
        if count and not dry_run:
            tx.enqueue_many(PUSH_DELIVER, [()] * math.ceil(count / BATCH_SIZE))
    return count


async def _run(since: timedelta, dry_run: bool) -> int:
    resources = WorkerResources.open(get_settings(), broker, process_name="push-redrive", pool_size=POOL_SIZE)
    try:
        now = datetime.now(UTC)
        return await redrive(resources.database, created_since=now - since, now=now, dry_run=dry_run)
    finally:
        await WorkerResources.close()


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m workers.push.redrive", description=__doc__.splitlines()[0]
    )
    parser.add_argument(
        "--since-hours",
        type=float,
        required=True,
        help="re-drive deliveries created this many hours ago or later",
    )
    parser.add_argument("--dry-run", action="store_true", help="count them, change nothing")
    arguments = parser.parse_args(argv)
    count = asyncio.run(_run(timedelta(hours=arguments.since_hours), arguments.dry_run))
    print(f"{'would re-drive' if arguments.dry_run else 're-driven'}: {count} deliveries")
    return 0


if __name__ == "__main__":
    sys.exit(main())
