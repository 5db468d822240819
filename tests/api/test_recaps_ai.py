"""GET /recaps/weekly against the OpenAI stub: the model's texts when it answers in shape, the template
when it fails; either way the recap is written within the request."""

from __future__ import annotations

import pytest
from httpx import AsyncClient
from litestar import Litestar
from sqlalchemy.ext.asyncio import AsyncConnection

from api.app import create_app
from api.clock import FixedClock
from sandbox.openai.testing import StubHandle
from settings import Settings
from tests.api.test_recaps import NOON, RECAPS, MakeUser, premium, user_with_last_week
from tests.support.ai_stub import settings_with_stub
from tests.support.savepoint_database import SavepointDatabase

TEMPLATE_SUMMARY = (
    "Lea, you completed 3 of 4 scheduled check-ins this week (75%) and kept 1 of 1 goals on track."
)


@pytest.fixture
def app(
    settings: Settings, database: SavepointDatabase, clock: FixedClock, openai_stub: StubHandle
) -> Litestar:
    return create_app(
        settings_with_stub(settings, openai_stub, openai_max_attempts=1), database=database, clock=clock
    )


@pytest.fixture
def clock() -> FixedClock:
    return FixedClock(NOON)


async def test_the_generated_recap_takes_the_models_texts(
    client: AsyncClient, connection: AsyncConnection, make_user: MakeUser, openai_stub: StubHandle
) -> None:
    user = await premium(make_user)
    await user_with_last_week(connection, user)

    response = await client.get(f"{RECAPS}/weekly", headers=user.headers)

    assert response.status_code == 200, response.text
    recap = response.json()
    assert recap["summary"] != TEMPLATE_SUMMARY
    assert recap["recap_text"] == recap["summary"]
    assert all(recap[field] for field in ("win", "insight", "focus_next_week", "motivational_close"))
    assert len(openai_stub.requests()) == 1


async def test_a_failing_model_gives_the_template_and_force_regenerate_replaces_it(
    client: AsyncClient, connection: AsyncConnection, make_user: MakeUser, openai_stub: StubHandle
) -> None:
    # Given a model that answers 500
    user = await premium(make_user)
    await user_with_last_week(connection, user)
    openai_stub.configure(fault="server_error")

    # When the app asks for last week's recap
    first = (await client.get(f"{RECAPS}/weekly", headers=user.headers)).json()

    # Then it is the template's; and once the model is back, force_regenerate writes the model's texts
    assert first["summary"] == TEMPLATE_SUMMARY
    openai_stub.configure()
    forced = (
        await client.get(f"{RECAPS}/weekly", params={"force_regenerate": "true"}, headers=user.headers)
    ).json()
    assert forced["id"] == first["id"]
    assert forced["summary"] != TEMPLATE_SUMMARY
