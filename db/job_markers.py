"""Markers recording that a job handled a scope (e.g. a timezone) for a period (e.g. a local date)."""

from __future__ import annotations

from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.ext.asyncio import AsyncConnection

from db.tables import job_markers


async def mark_done(connection: AsyncConnection, job_name: str, scope_key: str, period_key: str) -> bool:
    """Record the marker; False when it was already there (the work was done before)."""
    result = await connection.execute(
        insert(job_markers)
        .values(job_name=job_name, scope_key=scope_key, period_key=period_key)
        .on_conflict_do_nothing()
        .returning(job_markers.c.job_name)
    )
    return result.first() is not None
