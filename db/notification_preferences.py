"""A user's notification preferences (§2.5): one row, created by the first write; no row = defaults.

The defaults live in `domain.notification_gate.NotificationPreferences`, the same object the gate
reads, so "missing row" means exactly one thing everywhere.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import fields
from datetime import datetime, time
from typing import Final
from uuid import UUID

import sqlalchemy as sa
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.ext.asyncio import AsyncConnection

from db.tables import notification_preferences
from domain.notification_gate import NotificationPreferences

__all__ = ["PREFERENCE_FIELDS", "preferences_of", "save_preferences"]

PREFERENCE_FIELDS: Final[tuple[str, ...]] = tuple(field.name for field in fields(NotificationPreferences))
_COLUMNS: Final = [notification_preferences.c[name] for name in PREFERENCE_FIELDS]


async def preferences_of(connection: AsyncConnection, user_id: UUID) -> NotificationPreferences:
    row = (
        await connection.execute(sa.select(*_COLUMNS).where(notification_preferences.c.user_id == user_id))
    ).first()
    return NotificationPreferences() if row is None else NotificationPreferences(**row._mapping)


async def save_preferences(
    connection: AsyncConnection,
    user_id: UUID,
    changes: Mapping[str, bool | time],
    *,
    now: datetime,
) -> NotificationPreferences:
    """Write the given fields (any subset of PREFERENCE_FIELDS); the others keep their value, or
    their default when this creates the row. Returns the whole row."""
    unknown = set(changes) - set(PREFERENCE_FIELDS)
    if unknown:
        raise ValueError(f"not preference fields: {sorted(unknown)}")
    inserting = insert(notification_preferences).values(user_id=user_id, **changes)
    upsert = inserting.on_conflict_do_update(
        index_elements=[notification_preferences.c.user_id],
        set_={**{name: inserting.excluded[name] for name in changes}, "updated_at": now},
    ).returning(*_COLUMNS)
    row = (await connection.execute(upsert)).one()
    return NotificationPreferences(**row._mapping)
