"""/home: the dashboard the app opens on."""

from __future__ import annotations

from datetime import datetime

from litestar import Controller, get
from litestar.di import NamedDependency
from sqlalchemy.ext.asyncio import AsyncConnection

from api.auth.request import AuthRequest
from api.home.dashboard import dashboard
from api.home.schemas import DashboardOut


class HomeController(Controller):
    path = "/home"
    tags = ["home"]

    @get("/dashboard")
    async def get_dashboard(
        self,
        request: AuthRequest,
        single_read: NamedDependency[AsyncConnection],
        now: NamedDependency[datetime],
    ) -> DashboardOut:
        # The client also sends `timezone`; it is accepted and ignored: users.timezone decides "today".
        # One statement (api/home/dashboard.py), so no transaction around it (Database.single_statement).
        return await dashboard(single_read, user_id=request.user.id, now=now)
