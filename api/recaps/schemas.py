"""Bodies of /recaps, in the app's shape (services/api/recaps.ts of the client): `recap_text` beside
`summary`, the stored JSON (stats, goal_breakdown, completion_rate_trend with both `scheduled` and
`total`, partner_context, achievements_unlocked) served as written."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any
from uuid import UUID

import msgspec

from api.structs import struct_from_row
from db.weekly_recaps import RecapRow


class RecapOut(msgspec.Struct):
    id: UUID
    user_id: UUID
    week_start: date
    week_end: date
    goals_hit: int
    goals_total: int
    consistency_percent: float | None
    summary: str | None
    recap_text: str | None
    win: str | None
    insight: str | None
    focus_next_week: str | None
    motivational_close: str | None
    stats: dict[str, Any]
    goal_breakdown: list[dict[str, Any]]
    completion_rate_trend: list[dict[str, Any]]
    achievements_unlocked: list[dict[str, Any]]
    partner_context: list[dict[str, Any]] | None
    generated_at: datetime | None
    viewed_at: datetime | None
    created_at: datetime
    updated_at: datetime

    @classmethod
    def of(cls, row: RecapRow) -> RecapOut:
        return struct_from_row(
            cls,
            row,
            consistency_percent=None if row.consistency_percent is None else float(row.consistency_percent),
            stats=row.stats or {},
            goal_breakdown=row.goal_breakdown or [],
            completion_rate_trend=row.completion_rate_trend or [],
            achievements_unlocked=row.achievements_unlocked or [],
        )


class RecapListOut(msgspec.Struct):
    """The app reads `data` and `total`; `next_cursor` is the keyset position of the next page (absent
    on the last page)."""

    data: list[RecapOut]
    total: int
    next_cursor: str | msgspec.UnsetType = msgspec.UNSET
