"""/achievements routes (§3.7, §5): the catalogue, the caller's unlocks and totals, and a check.

The app sends no paging parameters and shows what comes back as the whole list: the default page
(100) holds the whole catalogue (69 badges) and therefore every unlock a user can have; longer lists
continue through X-Next-Cursor. Unlocks are always the caller's own.
"""

from __future__ import annotations

from datetime import datetime
from uuid import UUID

from litestar import Controller, Response, get, post
from litestar.di import NamedDependency
from litestar.status_codes import HTTP_200_OK

from api.achievements.schemas import AchievementStatsOut, AchievementTypeOut, UserAchievementOut
from api.auth.request import AuthRequest
from api.pagination import MAX_LIMIT, Cursor, Limit, decode_cursor, encode_cursor, page_of
from db.achievement_lists import (
    TypePosition,
    UnlockPosition,
    UserAchievementRow,
    achievement_totals,
    achievement_type_page,
    user_achievement_page,
)
from db.achievements import AchievementTypeRow
from domain.achievements import SourceType
from services.achievements import AchievementSource, evaluate_achievements
from services.transaction import Transaction

DEFAULT_PAGE_SIZE = MAX_LIMIT
# metadata.source_type of an unlock found by POST /achievements/check.
CHECK_SOURCE = AchievementSource(SourceType.CHECK)


class AchievementsController(Controller):
    path = "/achievements"
    tags = ["achievements"]

    @get("/types")
    async def types(
        self,
        tx: NamedDependency[Transaction],
        limit: Limit = DEFAULT_PAGE_SIZE,
        cursor: Cursor = None,
    ) -> Response[list[AchievementTypeOut]]:
        """The active badges in sort order."""
        after = None if cursor is None else TypePosition(*decode_cursor(cursor, int, UUID))
        rows = await achievement_type_page(tx.connection, limit=limit + 1, after=after)
        served = page_of(rows, limit, _type_cursor)
        return Response([AchievementTypeOut.of(row) for row in served.rows], headers=served.headers)

    @get("/me")
    async def mine(
        self,
        request: AuthRequest,
        tx: NamedDependency[Transaction],
        limit: Limit = DEFAULT_PAGE_SIZE,
        cursor: Cursor = None,
    ) -> Response[list[UserAchievementOut]]:
        """The caller's unlocks, newest first."""
        after = None if cursor is None else UnlockPosition(*decode_cursor(cursor, datetime, UUID))
        rows = await user_achievement_page(tx.connection, request.user.id, limit=limit + 1, after=after)
        served = page_of(rows, limit, _unlock_cursor)
        return Response([UserAchievementOut.of(row) for row in served.rows], headers=served.headers)

    @post("/check", status_code=HTTP_200_OK)
    async def check(
        self, request: AuthRequest, tx: NamedDependency[Transaction], now: NamedDependency[datetime]
    ) -> list[UserAchievementOut]:
        """Evaluate the caller's badges now; answers the ones this call unlocked."""
        unlocked = await evaluate_achievements(tx, [request.user.id], now=now, source=CHECK_SOURCE)
        return [UserAchievementOut.unlocked(item) for item in unlocked]

    @get("/stats")
    async def stats(self, request: AuthRequest, tx: NamedDependency[Transaction]) -> AchievementStatsOut:
        return AchievementStatsOut.of(await achievement_totals(tx.connection, request.user.id))


def _type_cursor(row: AchievementTypeRow) -> str:
    return encode_cursor(row.sort_order, row.id)


def _unlock_cursor(row: UserAchievementRow) -> str:
    return encode_cursor(row.unlocked_at, row.id)
