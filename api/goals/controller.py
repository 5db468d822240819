"""/goals routes (docs/domain.md §5). Handlers are thin: the caller from the token, the request's
transaction and `now`, then api/goals/editing.py or reading.py."""

from __future__ import annotations

from datetime import datetime
from uuid import UUID

from litestar import Controller, Response, delete, get, post, put
from litestar.di import NamedDependency
from litestar.params import FromPath, FromQuery, JSONBody
from litestar.status_codes import HTTP_200_OK, HTTP_201_CREATED
from sqlalchemy.ext.asyncio import AsyncConnection

from api.analytics.cache import forget_goal_after_commit
from api.auth.request import AuthRequest
from api.goals.editing import change_goal_status, create_goal, remove_goal, update_goal_fields
from api.goals.reading import read_goal, read_goal_page, read_goal_stats, read_goals_summary
from api.goals.schemas import (
    GoalActionOut,
    GoalCreateIn,
    GoalOut,
    GoalsSummaryOut,
    GoalStatsOut,
    GoalUpdateIn,
    MessageOut,
)
from api.goals.views import goal_out
from api.pagination import MAX_LIMIT, Cursor, Limit, Offset
from domain.goal_rules import GoalStatus
from services.transaction import Transaction

# The app sends no `limit` and shows what comes back as the whole list. A plan caps non-archived goals
# at its active_goal_limit (10 on premium, §5), so a full page holds every active and paused goal on any
# plan plus the newest archived ones; a longer archive continues through X-Next-Cursor.
DEFAULT_PAGE_SIZE = MAX_LIMIT


class GoalController(Controller):
    path = "/goals"
    tags = ["goals"]

    @get("/")
    async def list_goals(
        self,
        request: AuthRequest,
        read_tx: NamedDependency[AsyncConnection],
        now: NamedDependency[datetime],
        active_only: FromQuery[bool] = False,
        include_today_status: FromQuery[bool] = True,
        limit: Limit = DEFAULT_PAGE_SIZE,
        cursor: Cursor = None,
        offset: Offset = None,
    ) -> Response[list[GoalOut]]:
        page = await read_goal_page(
            read_tx,
            request.user.id,
            now=now,
            active_only=active_only,
            with_today_status=include_today_status,
            limit=limit,
            cursor=cursor,
            offset=offset,
        )
        return Response(list(page.rows), headers=page.headers)

    @post("/", status_code=HTTP_201_CREATED)
    async def create(
        self,
        request: AuthRequest,
        data: JSONBody[GoalCreateIn],
        tx: NamedDependency[Transaction],
        now: NamedDependency[datetime],
    ) -> GoalOut:
        return goal_out(await create_goal(tx, request.user.id, data, now=now))

    @get("/stats/summary")
    async def summary(
        self, request: AuthRequest, read_tx: NamedDependency[AsyncConnection]
    ) -> GoalsSummaryOut:
        return await read_goals_summary(read_tx, request.user.id)

    @get("/{goal_id:uuid}")
    async def get_goal(
        self,
        request: AuthRequest,
        goal_id: FromPath[UUID],
        read_tx: NamedDependency[AsyncConnection],
        now: NamedDependency[datetime],
    ) -> GoalOut:
        return await read_goal(read_tx, request.user.id, goal_id, now=now)

    @put("/{goal_id:uuid}")
    async def update(
        self,
        request: AuthRequest,
        goal_id: FromPath[UUID],
        data: JSONBody[GoalUpdateIn],
        tx: NamedDependency[Transaction],
        now: NamedDependency[datetime],
    ) -> GoalOut:
        goal = await update_goal_fields(tx.connection, request.user.id, goal_id, data, now=now)
        forget_goal_after_commit(tx, request.app, goal_id)
        return goal_out(goal)

    @delete("/{goal_id:uuid}", status_code=HTTP_200_OK)
    async def delete_goal(
        self, request: AuthRequest, goal_id: FromPath[UUID], tx: NamedDependency[Transaction]
    ) -> MessageOut:
        await remove_goal(tx.connection, request.user.id, goal_id)
        return MessageOut(message="Goal deleted.")

    @get("/{goal_id:uuid}/stats")
    async def stats(
        self,
        request: AuthRequest,
        goal_id: FromPath[UUID],
        read_tx: NamedDependency[AsyncConnection],
        now: NamedDependency[datetime],
    ) -> GoalStatsOut:
        return await read_goal_stats(read_tx, request.user.id, goal_id, now=now)

    @post("/{goal_id:uuid}/activate", status_code=HTTP_200_OK)
    async def activate(
        self,
        request: AuthRequest,
        goal_id: FromPath[UUID],
        tx: NamedDependency[Transaction],
        now: NamedDependency[datetime],
    ) -> GoalActionOut:
        return await _status_action(request, tx, goal_id, GoalStatus.ACTIVE, now)

    @post("/{goal_id:uuid}/deactivate", status_code=HTTP_200_OK)
    async def deactivate(
        self,
        request: AuthRequest,
        goal_id: FromPath[UUID],
        tx: NamedDependency[Transaction],
        now: NamedDependency[datetime],
    ) -> GoalActionOut:
        return await _status_action(request, tx, goal_id, GoalStatus.PAUSED, now)

    @post("/{goal_id:uuid}/archive", status_code=HTTP_200_OK)
    async def archive(
        self,
        request: AuthRequest,
        goal_id: FromPath[UUID],
        tx: NamedDependency[Transaction],
        now: NamedDependency[datetime],
    ) -> GoalActionOut:
        return await _status_action(request, tx, goal_id, GoalStatus.ARCHIVED, now)


async def _status_action(
    request: AuthRequest, tx: Transaction, goal_id: UUID, target: GoalStatus, now: datetime
) -> GoalActionOut:
    message, goal = await change_goal_status(tx.connection, request.user.id, goal_id, target, now=now)
    # Today's pending row comes or goes with the status: an answer cached before is out of date.
    forget_goal_after_commit(tx, request.app, goal_id)
    return GoalActionOut(message=message, goal=goal_out(goal))
