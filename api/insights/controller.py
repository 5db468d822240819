"""/goals/{id}/insights routes (docs/domain.md §3.14). Premium (pattern_detection), the caller's own
goals only. No request transaction: generation must not hold one while the model runs
(api/insights/answering.py opens its own short ones)."""

from __future__ import annotations

from datetime import datetime
from uuid import UUID

from litestar import Controller, get, post
from litestar.di import NamedDependency
from litestar.params import FromPath
from litestar.status_codes import HTTP_200_OK

from api.auth.request import AuthRequest
from api.insights.answering import answer_insights
from api.insights.schemas import GoalInsightsOut, InsightsRefreshOut
from api.resources import app_resources
from domain.insights.rules import InsightStatus

REFRESH_MESSAGES = {
    InsightStatus.GENERATING: "Insights generation started",
    InsightStatus.COMPLETED: "Insights refreshed successfully",
    InsightStatus.INSUFFICIENT_DATA: "Not enough data for insights",
}
REFRESH_MESSAGE_OTHERWISE = "Insights refresh requested"


class GoalInsightsController(Controller):
    path = "/goals/{goal_id:uuid}/insights"
    tags = ["goals"]

    @get("/")
    async def get_insights(
        self, request: AuthRequest, goal_id: FromPath[UUID], now: NamedDependency[datetime]
    ) -> GoalInsightsOut:
        resources = app_resources(request.app)
        return await answer_insights(resources, request.user.id, goal_id, now=now, refresh=False)

    @post("/refresh", status_code=HTTP_200_OK)
    async def refresh(
        self, request: AuthRequest, goal_id: FromPath[UUID], now: NamedDependency[datetime]
    ) -> InsightsRefreshOut:
        resources = app_resources(request.app)
        answer = await answer_insights(resources, request.user.id, goal_id, now=now, refresh=True)
        return InsightsRefreshOut(
            message=REFRESH_MESSAGES.get(InsightStatus(answer.status), REFRESH_MESSAGE_OTHERWISE),
            goal_id=goal_id,
            status=answer.status,
            insights_count=len(answer.insights),
        )
