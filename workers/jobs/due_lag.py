"""Every minute: how late each due index runs, into fitnudge_due_lag_seconds (db/due_lags.py)."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime

from db.due_lags import due_lags
from services.metrics import DUE_LAG_SECONDS
from workers.periodic_jobs import JobContext, periodic_job


@periodic_job("metrics.due_lag", "* * * * *")
async def measure_due_lag(context: JobContext, now: datetime) -> Mapping[str, int]:
    async with context.database.transaction() as tx:
        lags = await due_lags(tx.connection, now=now)
    for job, seconds in lags.items():
        DUE_LAG_SECONDS.labels(job).set(seconds)
    return {"lagging": sum(1 for seconds in lags.values() if seconds > 0)}
