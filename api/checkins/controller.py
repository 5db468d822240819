"""/check-ins: answer today, list, today, goal-today, stats, streak, calendar, one row, edit (§5).

/check-ins/range, /bulk, /mood-trends and DELETE /check-ins/{id} are deliberately not offered: the
client knows them, the server answers 404 / 405.
"""

from __future__ import annotations

from datetime import date, datetime
from typing import Annotated, Any
from uuid import UUID

from litestar import Controller, Request, Response, get, post, put
from litestar.di import NamedDependency
from litestar.params import FromPath, FromQuery, JSONBody, QueryParameter

from api.auth.jwt import AuthUser
from api.checkins import reading
from api.checkins.answering import answer_today
from api.checkins.editing import edit_today
from api.checkins.schemas import (
    AnsweredCheckIn,
    CheckIn,
    CheckInCalendar,
    CheckInCreate,
    CheckInStats,
    CheckInUpdate,
    GoalToday,
    Streak,
)
from api.pagination import MAX_LIMIT, Page
from api.structs import struct_from_row
from db.checkins import CheckInFilter, CheckInRow, checkin_of_owner
from domain.errors import NotFound
from services.transaction import Transaction

DEFAULT_LIMIT = 30

Limit = Annotated[int, QueryParameter(ge=1, le=MAX_LIMIT)]
Offset = Annotated[int | None, QueryParameter(ge=0)]
PageNumber = Annotated[int | None, QueryParameter(ge=1)]
AuthRequest = Request[AuthUser, Any, Any]


def _checkin_id(raw: str) -> UUID:
    """Path ids are parsed here, so /check-ins/range and friends answer 404 rather than 422."""
    try:
        return UUID(raw)
    except ValueError as error:
        raise NotFound("Check-in not found.", code="checkin_not_found") from error


def _list_response(page: Page[CheckInRow]) -> Response[list[CheckIn]]:
    return Response([CheckIn.of(row) for row in page.rows], headers=page.headers)


class CheckInsController(Controller):
    path = "/check-ins"
    tags = ["check-ins"]

    @post("/")
    async def answer(
        self,
        request: AuthRequest,
        data: JSONBody[CheckInCreate],
        tx: NamedDependency[Transaction],
        now: NamedDependency[datetime],
    ) -> AnsweredCheckIn:
        answered = await answer_today(tx, user_id=request.user.id, answer=data, now=now)
        return struct_from_row(
            AnsweredCheckIn,
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
        cursor: FromQuery[str | None] = None,
        offset: Offset = None,
        page: PageNumber = None,
    ) -> Response[list[CheckIn]]:
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
        cursor: FromQuery[str | None] = None,
        offset: Offset = None,
        page: PageNumber = None,
    ) -> Response[list[CheckIn]]:
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
    ) -> GoalToday:
        return await reading.goal_today(tx.connection, user_id=request.user.id, goal_id=goal_id, now=now)

    @get("/stats")
    async def stats(
        self,
        request: AuthRequest,
        tx: NamedDependency[Transaction],
        now: NamedDependency[datetime],
        goal_id: FromQuery[UUID | None] = None,
    ) -> CheckInStats:
        return await reading.stats(tx.connection, user_id=request.user.id, goal_id=goal_id, now=now)

    @get("/streak")
    async def streak(
        self,
        request: AuthRequest,
        tx: NamedDependency[Transaction],
        goal_id: FromQuery[UUID | None] = None,
    ) -> Streak:
        return await reading.streak(tx.connection, user_id=request.user.id, goal_id=goal_id)

    @get("/calendar")
    async def calendar(
        self,
        request: AuthRequest,
        tx: NamedDependency[Transaction],
        year: Annotated[int, QueryParameter(ge=2000, le=2100)],
        month: Annotated[int, QueryParameter(ge=1, le=12)],
        goal_id: FromQuery[UUID | None] = None,
    ) -> CheckInCalendar:
        return await reading.month_calendar(
            tx.connection, user_id=request.user.id, goal_id=goal_id, year=year, month=month
        )

    @get("/{checkin_id:str}")
    async def get_checkin(
        self, request: AuthRequest, tx: NamedDependency[Transaction], checkin_id: FromPath[str]
    ) -> CheckIn:
        row = await checkin_of_owner(
            tx.connection, user_id=request.user.id, checkin_id=_checkin_id(checkin_id)
        )
        if row is None:
            raise NotFound("Check-in not found.", code="checkin_not_found")
        return CheckIn.of(row)

    @put("/{checkin_id:str}")
    async def edit(
        self,
        request: AuthRequest,
        data: JSONBody[CheckInUpdate],
        tx: NamedDependency[Transaction],
        now: NamedDependency[datetime],
        checkin_id: FromPath[str],
    ) -> CheckIn:
        row = await edit_today(
            tx.connection, user_id=request.user.id, checkin_id=_checkin_id(checkin_id), update=data, now=now
        )
        return CheckIn.of(row)
