"""Cleanup for tests that commit for real: empty every table except the seeded reference data."""

from __future__ import annotations

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncEngine

from db.tables import metadata

REFERENCE_TABLES = frozenset(
    {"subscription_plans", "plan_features", "app_config", "app_versions", "achievement_types"}
)


async def truncate_user_data(engine: AsyncEngine) -> None:
    names = ", ".join(
        f'"{table.name}"' for table in metadata.sorted_tables if table.name not in REFERENCE_TABLES
    )
    async with engine.begin() as connection:
        await connection.execute(sa.text(f"TRUNCATE {names} CASCADE"))
