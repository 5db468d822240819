"""/recaps routes (§2.7, §3.12, §5; client-behaviour §6.1): the caller's list, last week's recap and
one recap by id. All three need the plan feature `weekly_recap` (403 otherwise).

GET /recaps/weekly serves the stored recap of the last finished local week, and writes it when it
is missing or `force_regenerate=true`. That path keeps no transaction open while the model writes:
the gate and the look-up run in one short transaction, the numbers in another (services/
weekly_recaps.py), the model call in none (at most `GENERATE_DEADLINE_SECONDS`, else the template),
and the write (ON CONFLICT (user_id, week_start): a concurrent request or the job may have written it
first) in a last one. A recap written here is not announced: the user is looking at it, and the job
finds it written.
"""

from __future__ import annotations

from datetime import date, datetime
from typing import Annotated, Final
from uuid import UUID

import msgspec
from litestar import Controller, get
from litestar.di import NamedDependency
from litestar.params import FromPath, FromQuery, QueryParameter
from sqlalchemy.ext.asyncio import AsyncConnection

from api.auth.request import AuthRequest
from api.pagination import Cursor, Offset, decode_cursor, encode_cursor, page_of
from api.recaps.schemas import RecapListOut, RecapOut
from api.resources import app_resources
from db.plan_limits import plan_features_for
from db.users import user_timezones
from db.weekly_recap_stats import RecapTarget
from db.weekly_recaps import RecapRow, recap_by_id_viewed, recap_for_week, recap_page, store_recaps
from domain.achievements import SourceType
from domain.errors import NotFound, PlanLimitReached
from domain.local_time import local_today
from domain.plans import Feature
from domain.weekly_recaps import recap_week_start
from services.achievements import AchievementSource, evaluate_achievements
from services.transaction import Transaction
from services.weekly_recaps import draft_recaps

LIST_DEFAULT_LIMIT: Final = 10
LIST_MAX_LIMIT: Final = 50
# The request waits at most this long for the model before the template is written.
GENERATE_DEADLINE_SECONDS: Final = 15.0

RecapLimit = Annotated[int, QueryParameter(ge=1, le=LIST_MAX_LIMIT)]


async def ensure_weekly_recaps(connection: AsyncConnection, user_id: UUID) -> None:
    """403 unless the caller's effective plan has weekly recaps."""
    if not (await plan_features_for(connection, user_id)).has(Feature.WEEKLY_RECAP):
        raise PlanLimitReached("Weekly recaps are part of Premium.", code="weekly_recap_feature_required")


class RecapsController(Controller):
    path = "/recaps"
    tags = ["recaps"]

    @get("/list")
    async def list_recaps(
        self,
        request: AuthRequest,
        tx: NamedDependency[Transaction],
        limit: RecapLimit = LIST_DEFAULT_LIMIT,
        cursor: Cursor = None,
        offset: Offset = None,
    ) -> RecapListOut:
        """Newest week first, with the caller's total; `offset` is honoured only without a cursor."""
        await ensure_weekly_recaps(tx.connection, request.user.id)
        before = None if cursor is None else decode_cursor(cursor, date)[0]
        rows, total = await recap_page(
            tx.connection,
            request.user.id,
            limit=limit + 1,
            before=before,
            offset=0 if before is not None else offset or 0,
        )
        served = page_of(rows, limit, _cursor_of)
        return RecapListOut(
            data=[RecapOut.of(row) for row in served.rows],
            total=total,
            next_cursor=served.next_cursor or msgspec.UNSET,  # absent on the last page
        )

    @get("/weekly")
    async def weekly(
        self,
        request: AuthRequest,
        now: NamedDependency[datetime],
        force_regenerate: FromQuery[bool] = False,
    ) -> RecapOut:
        """Last finished local week's recap; 404 without an active goal or any occurrence in the week."""
        resources = app_resources(request.app)
        user_id = request.user.id
        async with resources.database.transaction() as tx:
            await ensure_weekly_recaps(tx.connection, user_id)
            timezone = (await user_timezones(tx.connection, [user_id]))[user_id]
            week_start = recap_week_start(local_today(timezone, now))
            stored = await recap_for_week(tx.connection, user_id, week_start)
        if stored is not None and not force_regenerate:
            return RecapOut.of(stored)
        drafts = await draft_recaps(
            resources.database,
            resources.ai,
            [RecapTarget(user_id, week_start)],
            skip_existing=False,
            deadline_seconds=GENERATE_DEADLINE_SECONDS,
        )
        if not drafts:
            raise NotFound("No active goal or no check-ins in last week.", code="recap_not_available")
        async with resources.database.transaction() as tx:
            await store_recaps(tx.connection, drafts, now=now, replace=force_regenerate)
            written = await recap_for_week(tx.connection, user_id, week_start)
        return RecapOut.of(_present(written))

    @get("/{recap_id:uuid}")
    async def one(
        self,
        request: AuthRequest,
        tx: NamedDependency[Transaction],
        now: NamedDependency[datetime],
        recap_id: FromPath[UUID],
    ) -> RecapOut:
        """The caller's recap; its first view sets viewed_at and counts toward the recap badges (§3.7)."""
        await ensure_weekly_recaps(tx.connection, request.user.id)
        found = await recap_by_id_viewed(tx.connection, request.user.id, recap_id, now=now)
        if found is None:
            raise NotFound("Recap not found.", code="recap_not_found")
        row, first_view = found
        if first_view:
            source = AchievementSource(SourceType.RECAP_VIEWED, recap_id)
            await evaluate_achievements(tx, [request.user.id], now=now, source=source)
        return RecapOut.of(row)


def _present(row: RecapRow | None) -> RecapRow:
    # Written in the same transaction just before: only a deleted account could make it vanish.
    if row is None:
        raise NotFound("Recap not found.", code="recap_not_found")
    return row


def _cursor_of(row: RecapRow) -> str:
    return encode_cursor(row.week_start)
