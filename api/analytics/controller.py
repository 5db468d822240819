"""/analytics: the premium analytics tab (docs/client-behaviour.md §6.3)."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated
from uuid import UUID

from litestar import Controller, get
from litestar.di import NamedDependency
from litestar.params import FromQuery, QueryParameter

from api.analytics.cache import DashboardCache
from api.analytics.dashboard import read_dashboard
from api.auth.request import AuthRequest
from domain.analytics import DAYS_DEFAULT, DAYS_MAX, DAYS_MIN, AnalyticsDashboard
from services.transaction import Transaction


class AnalyticsController(Controller):
    path = "/analytics"
    tags = ["analytics"]

    @get("/dashboard")
    async def dashboard(
        self,
        request: AuthRequest,
        tx: NamedDependency[Transaction],
        now: NamedDependency[datetime],
        goal_id: FromQuery[UUID],
        days: Annotated[int, QueryParameter(ge=DAYS_MIN, le=DAYS_MAX)] = DAYS_DEFAULT,
        skip_cache: FromQuery[bool] = False,
    ) -> AnalyticsDashboard:
        return await read_dashboard(
            tx,
            DashboardCache.of(request.app),
            user_id=request.user.id,
            goal_id=goal_id,
            days=days,
            skip_cache=skip_cache,
            now=now,
        )
