"""/daily-motivations routes (docs client-behaviour §5). Every statement is scoped to the caller: another
user's motivation id answers 404.

GET /today and POST /regenerate may wait for the model, so they take neither the request's transaction
nor its connection (api/daily_motivations/writing.py opens one per statement); the other routes are one
statement each.
"""

from __future__ import annotations

from datetime import datetime
from typing import Final
from uuid import UUID

from litestar import Controller, get, post
from litestar.di import NamedDependency
from litestar.params import FromPath
from litestar.status_codes import HTTP_200_OK
from sqlalchemy.ext.asyncio import AsyncConnection

from api.auth.request import AuthRequest
from api.daily_motivations.schemas import DailyMotivationOut, ShareCountOut
from api.daily_motivations.writing import regenerated_motivation_row, todays_motivation_row
from api.pagination import Limit, Offset
from api.read_your_writes import WRITES
from api.resources import app_resources
from db.daily_motivations import motivation_of_owner, motivation_page, share_motivation
from domain.errors import NotFound
from services.transaction import Transaction

# The client asks for 30 (dailyMotivations.ts getList).
DEFAULT_PAGE_SIZE: Final = 30


class DailyMotivationController(Controller):
    path = "/daily-motivations"
    tags = ["daily-motivations"]

    # It creates today's row when there is none: a write, for the read replica's read-your-writes.
    @get("/today", opt={WRITES: True})
    async def today(self, request: AuthRequest, now: NamedDependency[datetime]) -> DailyMotivationOut:
        resources = app_resources(request.app)
        row = await todays_motivation_row(resources.database, resources.ai, request.user.id, now=now)
        return DailyMotivationOut.of(row)

    @post("/regenerate", status_code=HTTP_200_OK)
    async def regenerate(self, request: AuthRequest, now: NamedDependency[datetime]) -> DailyMotivationOut:
        resources = app_resources(request.app)
        row = await regenerated_motivation_row(resources.database, resources.ai, request.user.id, now=now)
        return DailyMotivationOut.of(row)

    @get("/")
    async def listed(
        self,
        request: AuthRequest,
        single_read: NamedDependency[AsyncConnection],
        limit: Limit = DEFAULT_PAGE_SIZE,
        offset: Offset = None,
    ) -> list[DailyMotivationOut]:
        """Newest date first, as a bare array (`limit` and `offset`, like the client sends)."""
        rows = await motivation_page(single_read, request.user.id, limit=limit, offset=offset or 0)
        return [DailyMotivationOut.of(row) for row in rows]

    @get("/{motivation_id:uuid}")
    async def one(
        self,
        request: AuthRequest,
        single_read: NamedDependency[AsyncConnection],
        motivation_id: FromPath[UUID],
    ) -> DailyMotivationOut:
        row = await motivation_of_owner(single_read, request.user.id, motivation_id)
        if row is None:
            raise _not_found()
        return DailyMotivationOut.of(row)

    @post("/{motivation_id:uuid}/share", status_code=HTTP_200_OK)
    async def share(
        self, request: AuthRequest, tx: NamedDependency[Transaction], motivation_id: FromPath[UUID]
    ) -> ShareCountOut:
        """Counted after the OS share sheet reported success; the owner's rows only."""
        count = await share_motivation(tx.connection, request.user.id, motivation_id)
        if count is None:
            raise _not_found()
        return ShareCountOut(share_count=count)


def _not_found() -> NotFound:
    return NotFound("Daily motivation not found.", code="daily_motivation_not_found")
