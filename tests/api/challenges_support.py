"""What the /challenges tests share: the fixed clock, challenges made and joined through the API, and
direct reads of the rows."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from typing import Any
from uuid import UUID

import httpx
import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncConnection

from db.tables import challenge_leaderboard, challenge_participants
from tests.support.users import ApiUser

CHALLENGES = "/api/v1/challenges"
# A Wednesday afternoon in UTC.
NOW = datetime(2024, 6, 12, 15, 0, tzinfo=UTC)
TODAY = NOW.date()


def days(n: int) -> date:
    """The date n days from TODAY."""
    return TODAY + timedelta(days=n)


def challenge_body(**fields: Any) -> dict[str, Any]:
    """A valid create body: a 7-day streak challenge starting tomorrow."""
    body: dict[str, Any] = {
        "title": "Run every day",
        "challenge_type": "streak",
        "duration_days": 7,
        "start_date": days(1).isoformat(),
    }
    body.update(fields)
    return {key: value for key, value in body.items() if value is not None}


async def create(api: httpx.AsyncClient, creator: ApiUser, **fields: Any) -> dict[str, Any]:
    response = await api.post(f"{CHALLENGES}/", json=challenge_body(**fields), headers=creator.headers)
    assert response.status_code == 201, response.text
    body: dict[str, Any] = response.json()
    return body


async def join(api: httpx.AsyncClient, user: ApiUser, challenge_id: str) -> httpx.Response:
    return await api.post(f"{CHALLENGES}/{challenge_id}/join", json={}, headers=user.headers)


async def members(connection: AsyncConnection, challenge_id: str | UUID) -> set[UUID]:
    result = await connection.execute(
        sa.select(challenge_participants.c.user_id).where(
            challenge_participants.c.challenge_id == UUID(str(challenge_id))
        )
    )
    return set(result.scalars())


async def scored(connection: AsyncConnection, challenge_id: str | UUID) -> set[UUID]:
    """The users with a leaderboard row in the challenge."""
    result = await connection.execute(
        sa.select(challenge_leaderboard.c.user_id).where(
            challenge_leaderboard.c.challenge_id == UUID(str(challenge_id))
        )
    )
    return set(result.scalars())
