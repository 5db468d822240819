"""Push device tokens (§2.5, §3.9): register (upsert on the token) and unregister.

A token identifies one app install. When another account signs in on that install, the token moves to
it: the upsert rewrites the owner along with every device field, in one statement, so two requests
racing on the same token serialise on its unique index instead of failing.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Final
from uuid import UUID

import sqlalchemy as sa
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.ext.asyncio import AsyncConnection

from db.tables import device_tokens

__all__ = ["UNREGISTERED", "DeviceRegistration", "register_device", "unregister_device"]

# device_tokens.deactivation_reason when the app signs out (the worker writes DeviceNotRegistered).
UNREGISTERED: Final = "unregistered"


@dataclass(frozen=True, slots=True)
class DeviceRegistration:
    fcm_token: str
    device_type: str
    device_id: str
    timezone: str
    app_version: str
    os_version: str


async def register_device(
    connection: AsyncConnection, user_id: UUID, device: DeviceRegistration, *, now: datetime
) -> UUID:
    """Upsert the token for `user_id` and return the row id.

    A token held by another user moves to the caller; the row becomes active with fresh device fields
    and its deactivation is cleared.
    """
    fresh = {
        "user_id": user_id,
        "device_type": device.device_type,
        "device_id": device.device_id,
        "timezone": device.timezone,
        "app_version": device.app_version,
        "os_version": device.os_version,
        "is_active": True,
        "last_used_at": now,
        "deactivated_at": None,
        "deactivation_reason": None,
    }
    inserting = insert(device_tokens).values(fcm_token=device.fcm_token, **fresh)
    upsert = inserting.on_conflict_do_update(
        index_elements=[device_tokens.c.fcm_token],
        set_={**{column: inserting.excluded[column] for column in fresh}, "updated_at": now},
    ).returning(device_tokens.c.id)
    row_id: UUID = (await connection.execute(upsert)).scalar_one()
    return row_id


async def unregister_device(
    connection: AsyncConnection, user_id: UUID, fcm_token: str, *, now: datetime
) -> bool:
    """Deactivate the caller's token (reason unregistered); False when the caller holds no such token.

    An already inactive token keeps its original deactivation time and reason.
    """
    was_active = device_tokens.c.is_active
    result = await connection.execute(
        sa.update(device_tokens)
        .where(device_tokens.c.fcm_token == fcm_token, device_tokens.c.user_id == user_id)
        .values(
            is_active=False,
            deactivated_at=sa.case((was_active, now), else_=device_tokens.c.deactivated_at),
            deactivation_reason=sa.case(
                (was_active, UNREGISTERED), else_=device_tokens.c.deactivation_reason
            ),
            updated_at=now,
        )
        .returning(device_tokens.c.id)
    )
    return result.first() is not None
