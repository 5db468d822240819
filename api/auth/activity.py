"""users.last_active_at, bumped by authenticated requests at most once per ACTIVITY_INTERVAL per user.

A Redis SET NX with that expiry lets one request through per interval; the UPDATE itself is also
conditional on the stored value, so a flushed Redis costs one extra no-op statement, never a write
per request.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from uuid import UUID

from litestar import Litestar

from api.resources import app_resources
from db.users import bump_last_active

# Minute precision is all "last active" is shown with (partner search); five minutes keeps it to
# at most one write per user per five minutes.
ACTIVITY_INTERVAL = timedelta(minutes=5)


async def note_activity(app: Litestar, user_id: UUID) -> None:
    resources = app_resources(app)
    throttle_key = f"{resources.settings.redis_key_prefix}:active:{user_id}"
    first_in_interval = await resources.redis.set(
        throttle_key, b"1", ex=int(ACTIVITY_INTERVAL.total_seconds()), nx=True
    )
    if not first_in_interval:
        return
    async with resources.database.unit_of_work() as uow:
        await bump_last_active(uow.connection, user_id, now=datetime.now(UTC), min_interval=ACTIVITY_INTERVAL)
