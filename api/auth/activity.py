"""users.last_active_at, bumped by authenticated requests at most once per ACTIVITY_INTERVAL per user.

Write-behind (api/write_behind.py): a request only notes its caller in memory; the web process writes
everyone noted in one set-based UPDATE every second and at shutdown. The stamp is shown with minute
precision (partner search), so being up to a second late, or losing one second of stamps to a crashed
process, changes nothing anyone sees; awaiting the write in each user's first request of an interval
cost a third of a fresh server's throughput and most of its p99 (python -m bench.api.run: 924 vs
1,396 req/s for home, p99 535 vs 253 ms).

Two gates keep writes rare. A per-process memory of who was noted recently (api/auth/recent_activity.py)
drops repeat requests without any I/O. The UPDATE is conditional on the stored value, so the other
web processes (or a restarted one) cost a no-op index lookup per user and interval, never a second
write.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from uuid import UUID

from sqlalchemy.ext.asyncio import AsyncConnection

from api.auth.recent_activity import RecentlyActive
from api.write_behind import WriteBehind
from db.users import bump_last_active
from services.transaction import Database

# Minute precision is all "last active" is shown with (partner search); five minutes keeps it to
# at most one write per user per five minutes.
ACTIVITY_INTERVAL = timedelta(minutes=5)


async def _stamp(connection: AsyncConnection, user_ids: list[UUID]) -> None:
    await bump_last_active(connection, user_ids, now=datetime.now(UTC), min_interval=ACTIVITY_INTERVAL)


class ActivityRecorder(WriteBehind[UUID]):
    """One per web process: notes the caller of each authenticated request (see the module doc)."""

    def __init__(self, database: Database) -> None:
        super().__init__(database, _stamp, what="activity stamps")
        self._recent = RecentlyActive(ACTIVITY_INTERVAL)

    def note(self, user_id: UUID) -> None:
        if self._recent.claim(user_id):
            self.add(user_id)
