"""The day boundary of every user: pending rows when the local day starts, missed rows when it ends
(§3.2, §4 precreate_daily_checkins and mark_missed_checkins).

Both run every 15 minutes (UTC cron) and work on sets, never per user:

* `checkins.precreate`: every zone of onboarded users whose local date has no job marker yet gets
  that date's pending rows (zones sharing a date are handled together, 1000 goals per statement, keyset
  by (user, goal)), then the markers; a zone whose day starts at 00:00 local is covered by the first
  run after it, whatever UTC says.
* `checkins.mark_missed`: pending rows whose owner's local day has ended (missed_due_at, set when the
  row is created) turn missed, with their goals' streaks zeroed in the same statement, 1000 rows per
  statement, read in due order through an index, until none is left.

Each batch is a short transaction under the job's advisory lock (a doubled tick finds nothing to do,
and a run cut short keeps what it committed). `run_precreate` / `run_mark_missed` are the plain
functions tests and operators call with any instant.
"""

from __future__ import annotations

from collections import Counter, defaultdict
from datetime import date, datetime

from db.daily_checkins import (
    BATCH_SIZE,
    GoalKey,
    create_zone_pending_checkins,
    mark_missed_checkins,
    mark_zones,
    marked_zones,
    onboarded_timezones,
)
from db.locks import try_job_lock
from domain.local_time import local_today
from services.transaction import Database, Transaction
from workers.periodic_jobs import JobContext, periodic_job, run_locked_batches

PRECREATE_JOB = "checkins.precreate"
MARK_MISSED_JOB = "checkins.mark_missed"
EVERY_15_MINUTES = "*/15 * * * *"
# A day start for a million goals takes minutes on a small machine (each batch commits, so a run cut
# short keeps its progress); one still going when the next run is due is stuck.
TIME_LIMIT_MS = 10 * 60_000


async def _zones_starting_a_day(database: Database, *, now: datetime) -> dict[date, list[str]] | None:
    """The zones of onboarded users whose local date at `now` is not marked yet, grouped by that date;
    None when another run holds the job lock."""
    async with database.transaction() as tx:
        if not await try_job_lock(tx.connection, PRECREATE_JOB):
            return None
        zone_dates = {zone: local_today(zone, now) for zone in await onboarded_timezones(tx.connection)}
        done = await marked_zones(tx.connection, job_name=PRECREATE_JOB, zone_dates=zone_dates)
    groups: defaultdict[date, list[str]] = defaultdict(list)
    for zone, local_date in sorted(zone_dates.items()):
        if zone not in done:
            groups[local_date].append(zone)
    return dict(groups)


async def precreate_pending_checkins(database: Database, *, now: datetime) -> Counter[str]:
    """`checkins.precreate` for the instant `now`: counts zones, goals looked at and rows created."""
    groups = await _zones_starting_a_day(database, now=now)
    if groups is None:
        return Counter(locked=1)
    counts: Counter[str] = Counter()
    for local_date, zones in groups.items():
        position: GoalKey | None = None

        async def next_batch(
            tx: Transaction, local_date: date = local_date, zones: list[str] = zones
        ) -> bool:
            nonlocal position
            batch = await create_zone_pending_checkins(
                tx.connection, timezones=zones, local_date=local_date, after=position
            )
            counts.update(goals=batch.goals, created=batch.created)
            position = batch.last_key
            if batch.goals == BATCH_SIZE:
                return True
            await mark_zones(tx.connection, job_name=PRECREATE_JOB, timezones=zones, local_date=local_date)
            counts.update(zones=len(zones))
            return False

        if not await run_locked_batches(database, PRECREATE_JOB, next_batch):
            counts.update(locked=1)
            break
    return counts


async def mark_missed(database: Database, *, now: datetime) -> Counter[str]:
    """`checkins.mark_missed` for the instant `now`: counts rows turned missed."""
    counts: Counter[str] = Counter()

    async def next_batch(tx: Transaction) -> bool:
        missed = await mark_missed_checkins(tx.connection, now=now)
        counts.update(missed=missed)
        return missed == BATCH_SIZE

    if not await run_locked_batches(database, MARK_MISSED_JOB, next_batch):
        counts.update(locked=1)
    return counts


async def run_precreate(database: Database, *, now: datetime) -> int:
    """Pending rows created by one precreate run at `now`."""
    return (await precreate_pending_checkins(database, now=now))["created"]


async def run_mark_missed(database: Database, *, now: datetime) -> int:
    """Rows turned missed by one mark-missed run at `now`."""
    return (await mark_missed(database, now=now))["missed"]


@periodic_job(PRECREATE_JOB, EVERY_15_MINUTES, time_limit_ms=TIME_LIMIT_MS)
async def precreate_job(context: JobContext, now: datetime) -> Counter[str]:
    """Pending check-in rows for every zone whose local day has started."""
    return await precreate_pending_checkins(context.database, now=now)


@periodic_job(MARK_MISSED_JOB, EVERY_15_MINUTES, time_limit_ms=TIME_LIMIT_MS)
async def mark_missed_job(context: JobContext, now: datetime) -> Counter[str]:
    """Pending rows whose owner's local day has ended turn missed; their streaks reset."""
    return await mark_missed(context.database, now=now)
