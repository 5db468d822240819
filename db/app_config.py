"""The public app configuration and the per-platform app versions (tables of migration 0008)."""

from __future__ import annotations

from dataclasses import dataclass

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncConnection

from db.tables import app_config, app_versions


@dataclass(frozen=True, slots=True)
class ConfigRow:
    key: str
    value: str
    category: str


@dataclass(frozen=True, slots=True)
class AppVersionRow:
    latest_version: str
    minimum_version: str
    force_update: bool
    release_notes: str | None
    store_url: str | None


async def public_config(connection: AsyncConnection, *, category: str | None = None) -> list[ConfigRow]:
    """The values anyone may read, by category then key; only one category's when given."""
    statement = (
        sa.select(app_config.c.key, app_config.c.value, app_config.c.category)
        .where(app_config.c.is_public)
        .order_by(app_config.c.category, app_config.c.key)
    )
    if category is not None:
        statement = statement.where(app_config.c.category == category)
    return [ConfigRow(**row._mapping) for row in await connection.execute(statement)]


async def app_version(connection: AsyncConnection, platform: str) -> AppVersionRow | None:
    row = (
        await connection.execute(
            sa.select(
                app_versions.c.latest_version,
                app_versions.c.minimum_version,
                app_versions.c.force_update,
                app_versions.c.release_notes,
                app_versions.c.store_url,
            ).where(app_versions.c.platform == platform)
        )
    ).one_or_none()
    return None if row is None else AppVersionRow(**row._mapping)
