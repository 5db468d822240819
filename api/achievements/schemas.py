"""Bodies of /achievements (§5, with the fields the app reads: docs/domain.md §3.7)."""

from __future__ import annotations

from datetime import datetime
from typing import Any
from uuid import UUID

import msgspec

from api.structs import struct_from_row
from db.achievement_lists import AchievementTotals, UserAchievementRow
from db.achievements import AchievementTypeRow
from domain.achievements import SourceType
from services.achievements import Unlocked


class AchievementTypeOut(msgspec.Struct):
    id: UUID
    badge_key: str
    badge_name: str
    badge_description: str | None
    badge_icon: str | None
    unlock_condition: dict[str, Any]
    category: str
    rarity: str
    points: int
    sort_order: int
    # The app keeps only the types where this is true.
    is_active: bool

    @classmethod
    def of(cls, row: AchievementTypeRow) -> AchievementTypeOut:
        return struct_from_row(cls, row)


class UserAchievementOut(msgspec.Struct):
    id: UUID
    user_id: UUID
    achievement_type_id: UUID
    goal_id: UUID | None
    unlocked_at: datetime
    viewed_at: datetime | None
    metadata: dict[str, Any]
    badge_key: str
    badge_name: str
    badge_description: str | None
    badge_icon: str | None
    category: str
    rarity: str
    points: int

    @classmethod
    def of(cls, row: UserAchievementRow) -> UserAchievementOut:
        return struct_from_row(cls, row, goal_id=goal_id_of(row.metadata))

    @classmethod
    def unlocked(cls, item: Unlocked) -> UserAchievementOut:
        """A badge the evaluation has just unlocked (not viewed yet)."""
        badge, row = item.badge, item.row
        return cls(
            id=row.id,
            user_id=row.user_id,
            achievement_type_id=row.achievement_type_id,
            goal_id=goal_id_of(row.metadata),
            unlocked_at=row.unlocked_at,
            viewed_at=None,
            metadata=row.metadata,
            badge_key=badge.badge_key,
            badge_name=badge.badge_name,
            badge_description=badge.badge_description,
            badge_icon=badge.badge_icon,
            category=badge.category,
            rarity=badge.rarity,
            points=badge.points,
        )


def goal_id_of(metadata: dict[str, Any]) -> UUID | None:
    """metadata.source_id when the unlock came from a goal, else None (the app's goal_id)."""
    source_id = metadata.get("source_id")
    if metadata.get("source_type") != SourceType.GOAL or not isinstance(source_id, str):
        return None
    try:
        return UUID(source_id)
    except ValueError:
        return None


class RarityBreakdownOut(msgspec.Struct):
    common: int
    rare: int
    epic: int
    legendary: int


class AchievementStatsOut(msgspec.Struct):
    total_achievements: int
    total_points: int
    rarity_breakdown: RarityBreakdownOut
    # The same counts under the name the app's type declares.
    by_rarity: RarityBreakdownOut

    @classmethod
    def of(cls, totals: AchievementTotals) -> AchievementStatsOut:
        breakdown = RarityBreakdownOut(**totals.by_rarity)
        return cls(
            total_achievements=totals.total_achievements,
            total_points=totals.total_points,
            rarity_breakdown=breakdown,
            by_rarity=breakdown,
        )
