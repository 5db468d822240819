"""What the achievement routes read (§5): the active catalogue, a user's unlocks with their badges,
and a user's totals. Every statement about unlocks is scoped to one user; pages are keyset pages
over the (is_active, sort_order) and (user_id, unlocked_at DESC, id DESC) indexes."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any, Final
from uuid import UUID

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncConnection

from db.achievements import ACHIEVEMENT_TYPE_COLUMNS, AchievementTypeRow
from db.tables import ACHIEVEMENT_RARITIES, achievement_types, user_achievements

__all__ = [
    "AchievementTotals",
    "TypePosition",
    "UnlockPosition",
    "UserAchievementRow",
    "achievement_totals",
    "achievement_type_page",
    "user_achievement_page",
]


@dataclass(frozen=True, slots=True)
class TypePosition:
    """The keyset position of the last badge served."""

    sort_order: int
    id: UUID


async def achievement_type_page(
    connection: AsyncConnection, *, limit: int, after: TypePosition | None = None
) -> list[AchievementTypeRow]:
    """Up to `limit` active badges in sort order, after the position."""
    query = (
        sa.select(*ACHIEVEMENT_TYPE_COLUMNS)
        .where(achievement_types.c.is_active)
        .order_by(achievement_types.c.sort_order, achievement_types.c.id)
        .limit(limit)
    )
    if after is not None:
        query = query.where(
            sa.tuple_(achievement_types.c.sort_order, achievement_types.c.id)
            > sa.tuple_(
                sa.literal(after.sort_order, sa.BigInteger), sa.literal(after.id, achievement_types.c.id.type)
            )
        )
    return [AchievementTypeRow(**row._mapping) for row in await connection.execute(query)]


@dataclass(frozen=True, slots=True)
class UserAchievementRow:
    """An unlock with its badge's fields."""

    id: UUID
    user_id: UUID
    achievement_type_id: UUID
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


@dataclass(frozen=True, slots=True)
class UnlockPosition:
    """The keyset position of the last unlock served (newest first)."""

    unlocked_at: datetime
    id: UUID


_UNLOCK_COLUMNS: Final = (
    user_achievements.c.id,
    user_achievements.c.user_id,
    user_achievements.c.achievement_type_id,
    user_achievements.c.unlocked_at,
    user_achievements.c.viewed_at,
    user_achievements.c.metadata,
    achievement_types.c.badge_key,
    achievement_types.c.badge_name,
    achievement_types.c.badge_description,
    achievement_types.c.badge_icon,
    achievement_types.c.category,
    achievement_types.c.rarity,
    achievement_types.c.points,
)


async def user_achievement_page(
    connection: AsyncConnection, user_id: UUID, *, limit: int, after: UnlockPosition | None = None
) -> list[UserAchievementRow]:
    """Up to `limit` of the user's unlocks, newest first, after the position."""
    query = (
        sa.select(*_UNLOCK_COLUMNS)
        .join(achievement_types, achievement_types.c.id == user_achievements.c.achievement_type_id)
        .where(user_achievements.c.user_id == user_id)
        .order_by(user_achievements.c.unlocked_at.desc(), user_achievements.c.id.desc())
        .limit(limit)
    )
    if after is not None:
        query = query.where(
            sa.tuple_(user_achievements.c.unlocked_at, user_achievements.c.id)
            < sa.tuple_(
                sa.literal(after.unlocked_at, user_achievements.c.unlocked_at.type),
                sa.literal(after.id, user_achievements.c.id.type),
            )
        )
    return [UserAchievementRow(**row._mapping) for row in await connection.execute(query)]


@dataclass(frozen=True, slots=True)
class AchievementTotals:
    total_achievements: int
    total_points: int
    by_rarity: dict[str, int]


def _build_totals_statement() -> sa.Select[Any]:
    rarity = achievement_types.c.rarity
    return (
        sa.select(
            sa.func.count().label("total_achievements"),
            sa.func.coalesce(sa.func.sum(achievement_types.c.points), 0).label("total_points"),
            *(sa.func.count().filter(rarity == name).label(name) for name in ACHIEVEMENT_RARITIES),
        )
        .select_from(user_achievements)
        .join(achievement_types, achievement_types.c.id == user_achievements.c.achievement_type_id)
        .where(user_achievements.c.user_id == sa.bindparam("user_id", type_=user_achievements.c.user_id.type))
    )


_TOTALS: Final = _build_totals_statement()


async def achievement_totals(connection: AsyncConnection, user_id: UUID) -> AchievementTotals:
    """How many badges the user has unlocked, their points and their count per rarity."""
    row = (await connection.execute(_TOTALS, {"user_id": user_id})).one()._mapping
    return AchievementTotals(
        total_achievements=row["total_achievements"],
        total_points=row["total_points"],
        by_rarity={name: row[name] for name in ACHIEVEMENT_RARITIES},
    )
