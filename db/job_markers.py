"""Markers recording that a job handled a scope (e.g. a timezone) for a period (e.g. a local date)."""

from __future__ import annotations

from datetime import datetime

import sqlalchemy as sa
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


async def delete_markers_done_before(
    connection: AsyncConnection, done_before: datetime, *, limit: int
) -> int:
    """Delete up to `limit` markers recorded before `done_before`; returns how many went."""
    oldest = (
        sa.select(job_markers.c.job_name, job_markers.c.scope_key, job_markers.c.period_key)
        .where(job_markers.c.done_at < done_before)
        .order_by(job_markers.c.done_at)
        .limit(limit)
        .with_for_update(skip_locked=True)
        .subquery()
    )
    result = await connection.execute(
        sa.delete(job_markers).where(
            sa.tuple_(job_markers.c.job_name, job_markers.c.scope_key, job_markers.c.period_key).in_(
                sa.select(oldest.c.job_name, oldest.c.scope_key, oldest.c.period_key)
            )
        )
    )
    return result.rowcount
