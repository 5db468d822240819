"""The web app and the workers build their model from settings: the stub's when a key is set."""

from __future__ import annotations

from api.app import create_app
from api.resources import app_resources
from sandbox.openai.testing import StubHandle
from services.ai.model import NO_MODEL, AiFeature, ChatPrompt
from settings import Settings
from tests.support.ai_stub import settings_with_stub
from tests.support.client import api_client, in_own_task
from tests.support.savepoint_database import SavepointDatabase
from workers.broker import broker
from workers.resources import WorkerResources

PROMPT = ChatPrompt(AiFeature.COACH, system="Coach briefly.", user="Hi", temperature=0.7, max_tokens=40)


async def test_the_web_app_asks_the_configured_model(
    settings: Settings, database: SavepointDatabase, openai_stub: StubHandle
) -> None:
    app = create_app(settings_with_stub(settings, openai_stub), database=database)

    async with in_own_task(api_client(app)):
        text = await app_resources(app).ai.complete(PROMPT)

    assert text
    assert len(openai_stub.requests()) == 1


async def test_without_a_key_the_web_app_has_no_model(
    settings: Settings, database: SavepointDatabase, openai_stub: StubHandle
) -> None:
    app = create_app(settings, database=database)

    async with in_own_task(api_client(app)):
        assert app_resources(app).ai is NO_MODEL


async def test_a_worker_process_opens_the_configured_model(
    settings: Settings, openai_stub: StubHandle
) -> None:
    resources = WorkerResources.open(
        settings_with_stub(settings, openai_stub), broker, process_name="test", pool_size=1
    )
    try:
        assert await resources.ai.complete(PROMPT)
    finally:
        await WorkerResources.close()

    assert len(openai_stub.requests()) == 1
