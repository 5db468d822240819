"""Response bodies of /daily-motivations: the client's DailyMotivation (services/api/dailyMotivations.ts)."""

from __future__ import annotations

from datetime import date, datetime
from uuid import UUID

import msgspec

from api.structs import struct_from_row
from db.daily_motivations import MotivationRow


class DailyMotivationOut(msgspec.Struct):
    id: UUID
    user_id: UUID
    message: str
    background_style: str
    background_colors: list[str]
    date: date
    generated_at: datetime
    share_count: int
    created_at: datetime

    @classmethod
    def of(cls, row: MotivationRow) -> DailyMotivationOut:
        return struct_from_row(cls, row)


class ShareCountOut(msgspec.Struct):
    share_count: int
