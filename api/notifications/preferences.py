"""/notifications/preferences: the caller's switches and quiet hours (§2.5, §3.10)."""

from __future__ import annotations

from datetime import datetime, time
from typing import Any

import msgspec
from litestar import Controller, Request, get, put
from litestar.di import NamedDependency
from litestar.params import JSONBody

from api.auth.jwt import AuthUser
from api.notifications.schemas import PreferencesOut, PreferencesUpdate
from db.notification_preferences import preferences_of, save_preferences
from domain.local_time import parse_time_of_day
from services.transaction import Transaction

_TIME_FIELDS = frozenset({"quiet_hours_start", "quiet_hours_end"})


class NotificationPreferencesController(Controller):
    path = "/notifications/preferences"
    tags = ["notifications"]

    @get("/")
    async def read(
        self, request: Request[AuthUser, Any, Any], tx: NamedDependency[Transaction]
    ) -> PreferencesOut:
        """The stored preferences, or the defaults while the user never saved any."""
        return PreferencesOut.of(await preferences_of(tx.connection, request.user.id))

    @put("/")
    async def update(
        self,
        request: Request[AuthUser, Any, Any],
        tx: NamedDependency[Transaction],
        now: NamedDependency[datetime],
        data: JSONBody[PreferencesUpdate],
    ) -> PreferencesOut:
        """Save any subset; quiet hours may wrap past midnight (start later than end)."""
        changes: dict[str, bool | time] = {
            name: parse_time_of_day(value) if name in _TIME_FIELDS else value
            for name, value in msgspec.structs.asdict(data).items()
            if value is not msgspec.UNSET
        }
        return PreferencesOut.of(await save_preferences(tx.connection, request.user.id, changes, now=now))
