"""/onboarding/complete: the first-run answers; from then on the user's jobs consider them."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from litestar import Controller, Request, post
from litestar.di import NamedDependency
from litestar.exceptions import NotAuthorizedException
from litestar.params import JSONBody
from litestar.status_codes import HTTP_200_OK

from api.auth.jwt import AuthUser
from api.onboarding.schemas import OnboardingOut, OnboardingRequest
from api.users.profiles import clean_name
from db.users import complete_onboarding, refresh_morning_motivation
from domain.local_time import parse_time_of_day
from domain.motivation_style import first_name
from services.transaction import Transaction


class OnboardingController(Controller):
    path = "/onboarding"
    tags = ["onboarding"]

    @post("/complete", status_code=HTTP_200_OK)
    async def complete(
        self,
        request: Request[AuthUser, Any, Any],
        data: JSONBody[OnboardingRequest],
        tx: NamedDependency[Transaction],
        now: NamedDependency[datetime],
    ) -> OnboardingOut:
        onboarded = await complete_onboarding(
            tx.connection,
            request.user.id,
            name=clean_name(data.name),
            motivation_style=data.motivation_style,
            morning_motivation_enabled=data.morning_motivation_enabled,
            morning_motivation_time=(
                parse_time_of_day(data.morning_motivation_time)
                if data.morning_motivation_time is not None
                else None
            ),
            now=now,
        )
        if onboarded is None:
            raise NotAuthorizedException("This account no longer exists.")
        # Onboarding is what makes the morning notice due at all (NULL before, by contract).
        await refresh_morning_motivation(tx.connection, [request.user.id], now=now)
        return OnboardingOut(
            success=True,
            user_id=onboarded.user_id,
            first_name=first_name(onboarded.name),
            motivation_style=onboarded.motivation_style,
            morning_motivation_enabled=onboarded.morning_motivation_enabled,
            onboarding_completed=True,
        )
