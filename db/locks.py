"""Advisory locks that make periodic jobs safe to run twice at once (a doubled tick, two schedulers)."""

from __future__ import annotations

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncConnection


async def try_job_lock(connection: AsyncConnection, job_name: str) -> bool:
    """Take the job's transaction-scoped lock, or report that another run holds it."""
    result = await connection.execute(
        sa.select(sa.func.pg_try_advisory_xact_lock(sa.func.hashtext(job_name)))
    )
    return bool(result.scalar_one())
