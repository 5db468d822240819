"""Reports of one user about another (§3.4 Report): at most one per reporter → target per 24 hours."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Final
from uuid import UUID

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncConnection

from db.tables import user_reports

__all__ = ["REPORT_WINDOW", "insert_report_unless_recent"]

REPORT_WINDOW: Final = timedelta(hours=24)


async def insert_report_unless_recent(
    connection: AsyncConnection,
    reporter_id: UUID,
    reported_user_id: UUID,
    *,
    reason: str,
    details: str | None,
    now: datetime,
) -> UUID | None:
    """The new report's id, or None when the reporter reported this user in the last 24 hours. The
    caller holds the reporter's partner lock, so two reports at once cannot both pass the check."""
    recent = sa.exists().where(
        user_reports.c.reporter_id == reporter_id,
        user_reports.c.reported_user_id == reported_user_id,
        user_reports.c.created_at > now - REPORT_WINDOW,
    )
    result = await connection.execute(
        sa.insert(user_reports)
        .from_select(
            ["reporter_id", "reported_user_id", "reason", "details", "created_at", "updated_at"],
            sa.select(
                sa.literal(reporter_id, type_=user_reports.c.reporter_id.type),
                sa.literal(reported_user_id, type_=user_reports.c.reported_user_id.type),
                sa.literal(reason),
                sa.literal(details, type_=sa.Text),
                sa.literal(now, type_=sa.DateTime(timezone=True)),
                sa.literal(now, type_=sa.DateTime(timezone=True)),
            ).where(~recent),
        )
        .returning(user_reports.c.id)
    )
    report_id: UUID | None = result.scalar()
    return report_id
