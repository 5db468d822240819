"""/check-ins: answer today, list, today, goal-today, stats, streak, calendar, one row, edit (§5).

/check-ins/range, /bulk, /mood-trends and DELETE /check-ins/{id} are deliberately not offered: the
client knows them, the server answers 404 / 405.
"""

from __future__ import annotations

from datetime import date, datetime
from typing import Annotated
from uuid import UUID

from litestar import Controller, Response, get, post, put
from litestar.di import NamedDependency
from litestar.params import FromPath, FromQuery, JSONBody, QueryParameter

from api.analytics.cache import forget_goal_after_commit
from api.auth.request import AuthRequest
from api.checkins import reading
from api.checkins.answering import answer_today
from api.checkins.editing import edit_today
from api.checkins.schemas import (
    AnsweredCheckInOut,
    CheckInCalendarOut,
    CheckInCreateIn,
    CheckInOut,
    CheckInStatsOut,
    CheckInUpdateIn,
    GoalTodayOut,
    StreakOut,
)
from api.pagination import Cursor, Limit, Offset, Page, PageNumber
from api.resources import app_resources
from api.structs import struct_from_row
from db.checkins import CheckInFilter, CheckInRow, checkin_of_owner
from domain.errors import NotFound
from services.product_events import ProductEvent, track_after_commit
from services.transaction import Transaction

DEFAULT_LIMIT = 30


def _checkin_id(raw: str) -> UUID:
    """Path ids are parsed here, so /check-ins/range and friends answer 404 rather than 422."""
    try:
        return UUID(raw)
    except ValueError as error:
        raise NotFound("Check-in not found.", code="checkin_not_found") from error


def _list_response(page: Page[CheckInRow]) -> Response[list[CheckInOut]]:
    return Response([CheckInOut.of(row) for row in page.rows], headers=page.headers)


class CheckInsController(Controller):
    path = "/check-ins"
    tags = ["check-ins"]

    @post("/")
    async def answer(
        self,
        request: AuthRequest,
        data: JSONBody[CheckInCreateIn],
        tx: NamedDependency[Transaction],
        now: NamedDependency[datetime],
    ) -> AnsweredCheckInOut:
        resources = app_resources(request.app)
        answered = await answer_today(
            tx,
            user_id=request.user.id,
            answer=data,
            now=now,
            partner_inactive_days=resources.settings.partner_inactive_days,
        )
        forget_goal_after_commit(tx, request.app, data.goal_id)
        track_after_commit(
            tx, resources.product_events, request.user.id, ProductEvent.CHECKED_IN, status=answered.row.status
        )
        return struct_from_row(
            AnsweredCheckInOut,
            answered.row,
            current_streak=answered.stats.current_streak,
            week_completions=answered.week_completions,
        )

    @get("/")
    async def list_checkins(
        self,
        request: AuthRequest,
        tx: NamedDependency[Transaction],
        goal_id: FromQuery[UUID | None] = None,
        start_date: FromQuery[date | None] = None,
        end_date: FromQuery[date | None] = None,
        exclude_pending: FromQuery[bool] = False,
        limit: Limit = DEFAULT_LIMIT,
        cursor: Cursor = None,
        offset: Offset = None,
        page: PageNumber = None,
    ) -> Response[list[CheckInOut]]:
        if goal_id is not None:
            await reading.require_goal(tx.connection, user_id=request.user.id, goal_id=goal_id)
        selection = CheckInFilter(
            user_id=request.user.id,
            goal_id=goal_id,
            first_date=start_date,
            last_date=end_date,
            exclude_pending=exclude_pending,
        )
        return _list_response(
            await reading.list_page(
                tx.connection, selection, limit=limit, cursor=cursor, offset=offset, page=page
            )
        )

    @get("/today")
    async def today(
        self,
        request: AuthRequest,
        tx: NamedDependency[Transaction],
        now: NamedDependency[datetime],
        limit: Limit = DEFAULT_LIMIT,
        cursor: Cursor = None,
        offset: Offset = None,
        page: PageNumber = None,
    ) -> Response[list[CheckInOut]]:
        today = await reading.require_local_today(tx.connection, user_id=request.user.id, now=now)
        selection = CheckInFilter(user_id=request.user.id, first_date=today, last_date=today)
        return _list_response(
            await reading.list_page(
                tx.connection, selection, limit=limit, cursor=cursor, offset=offset, page=page
            )
        )

    @get("/goal/{goal_id:uuid}/today")
    async def goal_today(
        self,
        request: AuthRequest,
        tx: NamedDependency[Transaction],
        now: NamedDependency[datetime],
        goal_id: FromPath[UUID],
    ) -> GoalTodayOut:
        return await reading.goal_today(tx.connection, user_id=request.user.id, goal_id=goal_id, now=now)

    @get("/stats")
    async def stats(
        self,
        request: AuthRequest,
        tx: NamedDependency[Transaction],
        now: NamedDependency[datetime],
        goal_id: FromQuery[UUID | None] = None,
    ) -> CheckInStatsOut:
        return await reading.stats(tx.connection, user_id=request.user.id, goal_id=goal_id, now=now)

    @get("/streak")
    async def streak(
        self,
        request: AuthRequest,
        tx: NamedDependency[Transaction],
        goal_id: FromQuery[UUID | None] = None,
    ) -> StreakOut:
        return await reading.streak(tx.connection, user_id=request.user.id, goal_id=goal_id)

    @get("/calendar")
    async def calendar(
        self,
        request: AuthRequest,
        tx: NamedDependency[Transaction],
        year: Annotated[int, QueryParameter(ge=2000, le=2100)],
        month: Annotated[int, QueryParameter(ge=1, le=12)],
        goal_id: FromQuery[UUID | None] = None,
    ) -> CheckInCalendarOut:
        return await reading.month_calendar(
            tx.connection, user_id=request.user.id, goal_id=goal_id, year=year, month=month
        )

    @get("/{checkin_id:str}")
    async def get_checkin(
        self, request: AuthRequest, tx: NamedDependency[Transaction], checkin_id: FromPath[str]
    ) -> CheckInOut:
        row = await checkin_of_owner(
            tx.connection, user_id=request.user.id, checkin_id=_checkin_id(checkin_id)
        )
        if row is None:
            raise NotFound("Check-in not found.", code="checkin_not_found")
        return CheckInOut.of(row)

    @put("/{checkin_id:str}")
    async def edit(
        self,
        request: AuthRequest,
        data: JSONBody[CheckInUpdateIn],
        tx: NamedDependency[Transaction],
        now: NamedDependency[datetime],
        checkin_id: FromPath[str],
    ) -> CheckInOut:
        row = await edit_today(
            tx.connection, user_id=request.user.id, checkin_id=_checkin_id(checkin_id), update=data, now=now
        )
        forget_goal_after_commit(tx, request.app, row.goal_id)
        return CheckInOut.of(row)
