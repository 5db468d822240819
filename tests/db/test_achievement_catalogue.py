"""Migration 0012 seeds exactly the catalogue the code evaluates (domain/achievements.py, §3.7).

The migration writes its rows out literally (it must not change when the code does); this test is what
keeps the two copies equal, and the database's rows equal to both.
"""

from __future__ import annotations

import importlib.util
from pathlib import Path
from types import ModuleType
from typing import Any

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncConnection

from db.tables import achievement_types
from domain.achievements import CATALOGUE

MIGRATION = Path(__file__).parents[2] / "alembic" / "versions" / "0012_achievement_catalogue.py"


def load_migration() -> ModuleType:
    spec = importlib.util.spec_from_file_location("migration_0012", MIGRATION)
    assert spec is not None
    assert spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def catalogue_rows() -> list[dict[str, Any]]:
    return [
        {
            "badge_key": badge.key,
            "badge_name": badge.name,
            "badge_description": badge.description,
            "badge_icon": badge.icon,
            "unlock_condition": badge.condition.as_json(),
            "category": badge.category,
            "rarity": badge.rarity,
            "points": badge.points,
            "sort_order": position,
        }
        for position, badge in enumerate(CATALOGUE, start=1)
    ]


def test_the_migration_seeds_the_domain_catalogue() -> None:
    assert load_migration().seeded_rows() == catalogue_rows()


async def test_the_migrated_database_holds_the_catalogue(connection: AsyncConnection) -> None:
    columns = [achievement_types.c[name] for name in catalogue_rows()[0]]
    result = await connection.execute(
        sa.select(*columns).where(achievement_types.c.is_active).order_by(achievement_types.c.sort_order)
    )
    assert [dict(row._mapping) for row in result] == catalogue_rows()
