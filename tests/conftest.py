"""Shared fixtures: a migrated database per session, a rolled-back transaction per test, Redis, and an
API client whose requests run inside that transaction (savepoints stand in for commits)."""

from __future__ import annotations

from tests.support import environment

environment.apply()

from collections.abc import AsyncIterator, Awaitable, Callable, Iterator  # noqa: E402
from typing import Any  # noqa: E402

import httpx  # noqa: E402
import pytest  # noqa: E402
import redis.asyncio as aioredis  # noqa: E402
from litestar import Litestar  # noqa: E402
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine  # noqa: E402

from api.clock import Clock, system_clock  # noqa: E402
from db.engine import create_engine  # noqa: E402
from sandbox.openai.testing import StubHandle, running_stub  # noqa: E402
from sandbox.smtp.testing import SinkHandle, running_sink  # noqa: E402
from services.messages import MessageSender, build_client_broker  # noqa: E402
from services.transaction import EngineDatabase  # noqa: E402
from settings import Settings, get_settings  # noqa: E402
from tests.support.client import api_client, in_own_task  # noqa: E402
from tests.support.committed import truncate_user_data  # noqa: E402
from tests.support.database import create_database, drop_database, run_alembic  # noqa: E402
from tests.support.savepoint_database import SavepointDatabase  # noqa: E402
from tests.support.users import ApiUser, create_user  # noqa: E402


@pytest.fixture(scope="session")
def settings() -> Settings:
    return get_settings()


@pytest.fixture(scope="session")
async def migrated_database() -> AsyncIterator[str]:
    await create_database()
    result = run_alembic("upgrade", "head")
    assert result.returncode == 0, result.stderr
    yield environment.TEST_DATABASE_URL
    await drop_database()


@pytest.fixture(scope="session")
async def engine(migrated_database: str) -> AsyncIterator[AsyncEngine]:
    engine = create_engine(migrated_database, process_name="tests", pool_size=5, max_overflow=5)
    yield engine
    await engine.dispose()


@pytest.fixture
async def connection(engine: AsyncEngine) -> AsyncIterator[AsyncConnection]:
    """A connection inside a transaction that is rolled back after the test."""
    async with engine.connect() as connection:
        transaction = await connection.begin()
        try:
            yield connection
        finally:
            await transaction.rollback()


@pytest.fixture(scope="session")
def message_sender(settings: Settings) -> Iterator[MessageSender]:
    """Sends what transactions enqueue into the session's own Dramatiq namespace (real Redis)."""
    broker = build_client_broker(settings.redis_url, settings.dramatiq_namespace)
    yield MessageSender(broker)
    broker.close()


@pytest.fixture
def database(connection: AsyncConnection, message_sender: MessageSender) -> SavepointDatabase:
    return SavepointDatabase(connection, message_sender)


@pytest.fixture
async def committed_database(
    engine: AsyncEngine, message_sender: MessageSender
) -> AsyncIterator[EngineDatabase]:
    """For tests whose data other processes (workers, a second connection) must see: real commits,
    wiped afterwards."""
    yield EngineDatabase(engine, message_sender)
    await truncate_user_data(engine)


@pytest.fixture(scope="session")
def smtp_sink() -> Iterator[SinkHandle]:
    """The SMTP sink (sandbox/smtp), shared by the session: tests tell their mail apart by recipient."""
    with running_sink() as sink:
        yield sink


@pytest.fixture(scope="session")
def openai_session_stub() -> Iterator[StubHandle]:
    with running_stub() as stub:
        yield stub


@pytest.fixture
def openai_stub(openai_session_stub: StubHandle) -> StubHandle:
    """The session's OpenAI stub (sandbox/openai), reset (config, script, request log) for this test.
    Pair it with tests/support/ai_stub.py `settings_with_stub`."""
    openai_session_stub.reset()
    return openai_session_stub


@pytest.fixture
async def redis(settings: Settings) -> AsyncIterator[aioredis.Redis]:
    client = aioredis.Redis.from_url(settings.redis_url)
    yield client
    await client.aclose()


@pytest.fixture
def clock() -> Clock:
    """The app's clock; a test module that needs a fixed instant overrides this fixture."""
    return system_clock


@pytest.fixture
def app(settings: Settings, database: SavepointDatabase, clock: Clock) -> Litestar:
    from api.app import create_app

    return create_app(settings, database=database, clock=clock)


@pytest.fixture
async def client(app: Litestar) -> AsyncIterator[httpx.AsyncClient]:
    async with in_own_task(api_client(app)) as client:
        yield client


@pytest.fixture
def make_user(connection: AsyncConnection, app: Litestar) -> Callable[..., Awaitable[ApiUser]]:
    """`await make_user(timezone="Pacific/Auckland")` → a user with `.headers` for the API client."""

    async def make(**fields: Any) -> ApiUser:
        return await create_user(connection, app, **fields)

    return make
