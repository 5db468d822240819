"""POST /onboarding/complete: the first-run answers, the onboarding stamp and the morning instant."""

from __future__ import annotations

from datetime import UTC, datetime, time
from typing import Any
from uuid import UUID

import httpx
import pytest
import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncConnection

from db.tables import users
from domain.schedule import next_morning_motivation_at
from tests.api.auth_support import MakeUser


async def user_row(connection: AsyncConnection, user_id: UUID) -> sa.Row[Any]:
    return (await connection.execute(sa.select(users).where(users.c.id == user_id))).one()


async def test_completing_onboarding_stores_the_answers_and_schedules_the_morning_notice(
    client: httpx.AsyncClient, connection: AsyncConnection, make_user: MakeUser
) -> None:
    # Given a new user in Lisbon who has not onboarded
    user = await make_user(onboarding_completed_at=None, timezone="Europe/Lisbon")
    assert (await user_row(connection, user.id)).next_morning_motivation_at is None
    before = datetime.now(UTC)
    # When they complete onboarding with a 07:15 morning notice
    response = await client.post(
        "/api/v1/onboarding/complete",
        json={"name": " Ada Lovelace ", "motivation_style": "calm", "morning_motivation_time": "07:15"},
        headers=user.headers,
    )
    after = datetime.now(UTC)
    # Then the answer is the §5 shape with the first name
    assert response.status_code == 200, response.text
    assert response.json() == {
        "success": True,
        "user_id": str(user.id),
        "first_name": "Ada",
        "motivation_style": "calm",
        "morning_motivation_enabled": True,
        "onboarding_completed": True,
    }
    # And the row is onboarded, with the next 07:15 Lisbon time due
    row = await user_row(connection, user.id)
    assert (row.name, row.motivation_style, row.morning_motivation_time) == (
        "Ada Lovelace",
        "calm",
        time(7, 15),
    )
    assert before <= row.onboarding_completed_at <= after
    expected = {next_morning_motivation_at("07:15", "Europe/Lisbon", instant) for instant in (before, after)}
    assert row.next_morning_motivation_at in expected


async def test_completing_onboarding_again_keeps_the_first_completion_time(
    client: httpx.AsyncClient, connection: AsyncConnection, make_user: MakeUser
) -> None:
    # Given a user who onboarded a while ago
    first = datetime(2024, 5, 1, 12, 0, tzinfo=UTC)
    user = await make_user(onboarding_completed_at=first)
    # When they run onboarding again (reinstall) and turn the morning notice off
    response = await client.post(
        "/api/v1/onboarding/complete",
        json={"name": "Ada", "motivation_style": "tough_love", "morning_motivation_enabled": False},
        headers=user.headers,
    )
    # Then the answers change, the first completion time stays, and no morning notice is due
    assert response.json()["morning_motivation_enabled"] is False
    row = await user_row(connection, user.id)
    assert (row.onboarding_completed_at, row.motivation_style) == (first, "tough_love")
    assert row.next_morning_motivation_at is None


@pytest.mark.parametrize(
    "body",
    [
        {"name": "Ada"},
        {"motivation_style": "calm"},
        {"name": "Ada", "motivation_style": "mean"},
        {"name": "   ", "motivation_style": "calm"},
        {"name": "n" * 101, "motivation_style": "calm"},
        {"name": "Ada", "motivation_style": "calm", "morning_motivation_time": "7 o'clock"},
        {"name": "Ada", "motivation_style": "calm", "morning_motivation_time": ""},
        {"name": "Ada", "motivation_style": "calm", "goals": ["run"]},
    ],
)
async def test_malformed_onboarding_is_422_and_changes_nothing(
    client: httpx.AsyncClient, connection: AsyncConnection, make_user: MakeUser, body: dict[str, Any]
) -> None:
    # Given a user who has not onboarded
    user = await make_user(onboarding_completed_at=None)
    # When they send a malformed answer / Then 422 and they are still not onboarded
    response = await client.post("/api/v1/onboarding/complete", json=body, headers=user.headers)
    assert response.status_code == 422, body
    assert (await user_row(connection, user.id)).onboarding_completed_at is None


async def test_onboarding_needs_a_token(client: httpx.AsyncClient) -> None:
    response = await client.post(
        "/api/v1/onboarding/complete", json={"name": "A", "motivation_style": "calm"}
    )
    assert response.status_code == 401
