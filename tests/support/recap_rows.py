"""weekly_recaps rows inserted directly, for tests of what reads them."""

from __future__ import annotations

from datetime import date, timedelta
from typing import Any
from uuid import UUID

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncConnection

from db.tables import weekly_recaps


async def insert_recap(connection: AsyncConnection, user_id: UUID, week_start: date, **fields: Any) -> UUID:
    """A recap of the week starting `week_start` (a Monday), with small stand-in content."""
    values: dict[str, Any] = {
        "user_id": user_id,
        "week_start": week_start,
        "week_end": week_start + timedelta(days=6),
        "goals_hit": 1,
        "goals_total": 2,
        "consistency_percent": 50,
        "summary": f"The week of {week_start}.",
        "recap_text": f"The week of {week_start}.",
        "win": "A win.",
        "insight": "An insight.",
        "focus_next_week": "A focus.",
        "motivational_close": "A close.",
        "stats": {"completed_check_ins": 3, "completion_rate": 50.0},
        "goal_breakdown": [],
        "completion_rate_trend": [],
        "achievements_unlocked": [],
        "partner_context": None,
        **fields,
    }
    recap_id: UUID = (
        await connection.execute(sa.insert(weekly_recaps).values(values).returning(weekly_recaps.c.id))
    ).scalar_one()
    return recap_id
