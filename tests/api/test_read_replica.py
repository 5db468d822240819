"""Reads on a real streaming replica (DATABASE_REPLICA_URL): the read-only routes use it, a user's own
writes stay visible to them while it lags, and a stopped replica sends reads to the primary.

One primary and replica pair per session (tests/support/replica.py); each test gets a fresh app, so
one test's "replica down" window does not leak into the next.
"""

from __future__ import annotations

import dataclasses
import uuid
from collections.abc import AsyncIterator, Awaitable, Callable, Iterator

import httpx
import pytest
import redis.asyncio as aioredis
import sqlalchemy as sa
from litestar import Litestar, get
from litestar.di import NamedDependency
from prometheus_client import REGISTRY
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine

from api.app import create_app
from api.resources import app_resources
from db.engine import create_engine
from db.tables import goals
from services.messages import MessageSender
from services.read_replica import ReplicaReads
from services.transaction import EngineDatabase
from settings import Settings
from tests.support.client import api_client, in_own_task
from tests.support.replica import ReplicaPair, replica_pair
from tests.support.users import ApiUser, create_user
from tools.ports import free_port

GOALS = "/api/v1/goals"
CHECK_INS = "/api/v1/check-ins"
HOME = "/api/v1/home/dashboard"
MOTIVATIONS = "/api/v1/daily-motivations"


@get("/test/served-by")
async def served_by(single_read: NamedDependency[AsyncConnection]) -> dict[str, bool]:
    """Whether the connection `single_read` handlers get is a replica's (in recovery)."""
    in_recovery = (await single_read.execute(sa.text("SELECT pg_is_in_recovery()"))).scalar_one()
    return {"replica": in_recovery}


@pytest.fixture(scope="session")
def pair() -> Iterator[ReplicaPair]:
    with replica_pair() as started:
        yield started


@pytest.fixture(autouse=True)
def streaming(pair: ReplicaPair) -> Iterator[None]:
    yield
    pair.ensure_streaming()


@pytest.fixture(scope="session")
async def primary(pair: ReplicaPair) -> AsyncIterator[AsyncEngine]:
    engine = create_engine(pair.primary_url, process_name="tests", pool_size=2, max_overflow=2)
    yield engine
    await engine.dispose()


Client = Callable[[bool], Awaitable[tuple[Litestar, httpx.AsyncClient]]]


@pytest.fixture
async def open_client(
    settings: Settings, pair: ReplicaPair, primary: AsyncEngine, message_sender: MessageSender
) -> AsyncIterator[Client]:
    """`await open_client(with_replica)` → an app on the private primary (and replica) and its client."""
    clients: list[httpx.AsyncClient] = []
    holders = []

    async def open_one(with_replica: bool) -> tuple[Litestar, httpx.AsyncClient]:
        app = create_app(
            dataclasses.replace(
                settings,
                database_url=pair.primary_url,
                database_replica_url=pair.replica_url if with_replica else None,
                db_replica_pool_size=2,
            ),
            database=EngineDatabase(primary, message_sender),
            extra_route_handlers=[served_by],
        )
        holder = in_own_task(api_client(app))
        holders.append(holder)
        clients.append(await holder.__aenter__())
        return app, clients[-1]

    yield open_one
    for holder in reversed(holders):
        await holder.__aexit__(None, None, None)


async def a_user(primary: AsyncEngine, app: Litestar) -> ApiUser:
    async with primary.begin() as connection:
        return await create_user(connection, app)


def reads(served_by: str) -> float:
    return REGISTRY.get_sample_value("fitnudge_replica_reads_total", {"served_by": served_by}) or 0.0


async def served_by_replica(client: httpx.AsyncClient, user: ApiUser) -> bool:
    response = await client.get("/test/served-by", headers=user.headers)
    assert response.status_code == 200, response.text
    replica: bool = response.json()["replica"]
    return replica


async def test_read_only_routes_are_served_by_the_replica(
    open_client: Client, primary: AsyncEngine, pair: ReplicaPair
) -> None:
    app, client = await open_client(True)
    user = await a_user(primary, app)
    pair.replica.wait_streaming()
    assert await served_by_replica(client, user)

    # A goal written on the primary behind the API's back (so not this user's write through it) is
    # missing from GET /goals while the replica applies nothing: the list came from the replica.
    pair.pause_replay()
    async with primary.begin() as connection:
        behind_the_back = {"user_id": user.id, "title": "Behind the back", "frequency_type": "daily"}
        await connection.execute(sa.insert(goals).values(behind_the_back))
    response = await client.get(GOALS, headers=user.headers)
    assert response.status_code == 200
    assert response.json() == []


async def test_a_user_reads_their_own_writes_while_the_replica_lags(
    open_client: Client, primary: AsyncEngine, pair: ReplicaPair
) -> None:
    app, client = await open_client(True)
    writer, bystander = await a_user(primary, app), await a_user(primary, app)
    pair.replica.wait_streaming()
    pair.pause_replay()
    behind_before = reads("primary_replica_behind")

    created = await client.post(
        GOALS, json={"title": "Run", "frequency_type": "daily"}, headers=writer.headers
    )
    assert created.status_code == 201, created.text
    goal_id = created.json()["id"]
    listed = await client.get(GOALS, headers=writer.headers)
    assert [goal["id"] for goal in listed.json()] == [goal_id]
    one = await client.get(f"{GOALS}/{goal_id}", headers=writer.headers)
    assert one.status_code == 200
    assert not await served_by_replica(client, writer)
    assert reads("primary_replica_behind") - behind_before == 3

    body = {"goal_id": goal_id, "completed": True}
    checked_in = await client.post(CHECK_INS, json=body, headers=writer.headers)
    assert checked_in.status_code == 201, checked_in.text
    # The paused replica has neither the goal nor the check-in: a streak of 1 came from the primary.
    home = await client.get(HOME, headers=writer.headers)
    assert home.json()["current_streak"] == 1

    # Someone who wrote nothing still reads from the (paused) replica.
    assert await served_by_replica(client, bystander)

    # Once the replica has replayed the write, the writer is back on it.
    pair.resume_replay()
    pair.wait_replayed()
    assert await served_by_replica(client, writer)


async def test_a_get_that_writes_counts_as_a_write(
    open_client: Client, primary: AsyncEngine, pair: ReplicaPair
) -> None:
    """GET /daily-motivations/today creates the day's row (route option `writes`)."""
    app, client = await open_client(True)
    user = await a_user(primary, app)
    pair.replica.wait_streaming()
    pair.pause_replay()
    today = await client.get(MOTIVATIONS + "/today", headers=user.headers)
    assert today.status_code == 200, today.text
    listed = await client.get(MOTIVATIONS, headers=user.headers)
    assert [row["id"] for row in listed.json()] == [today.json()["id"]]


async def test_a_stopped_replica_sends_reads_to_the_primary(
    open_client: Client, primary: AsyncEngine, pair: ReplicaPair
) -> None:
    app, client = await open_client(True)
    user = await a_user(primary, app)
    pair.replica.wait_streaming()
    assert await served_by_replica(client, user)  # a pooled replica connection now exists
    down_before = reads("primary_replica_down")

    pair.replica.stop("fast")
    assert not await served_by_replica(client, user)
    response = await client.get(GOALS, headers=user.headers)
    assert response.status_code == 200
    assert reads("primary_replica_down") - down_before == 2


async def test_without_the_setting_there_is_one_engine(open_client: Client, primary: AsyncEngine) -> None:
    app, client = await open_client(False)
    user = await a_user(primary, app)
    assert app_resources(app).replica is None
    assert not await served_by_replica(client, user)
    response = await client.get(GOALS, headers=user.headers)
    assert response.status_code == 200


async def test_without_redis_a_users_read_goes_to_the_primary(
    pair: ReplicaPair, primary: AsyncEngine, message_sender: MessageSender
) -> None:
    """Redis holds the users' last write positions: when it does not answer, only the primary is sure
    to have the reader's write."""
    replica_engine = create_engine(pair.replica_url, process_name="tests", pool_size=1, max_overflow=0)
    unreachable = aioredis.Redis.from_url(f"redis://127.0.0.1:{free_port()}/0")
    replica_reads = ReplicaReads(replica_engine, EngineDatabase(primary, message_sender), unreachable, "test")
    try:
        async with replica_reads.single_statement(uuid.uuid4()) as connection:
            assert not (await connection.execute(sa.text("SELECT pg_is_in_recovery()"))).scalar_one()
        async with replica_reads.single_statement(None) as connection:
            assert (await connection.execute(sa.text("SELECT pg_is_in_recovery()"))).scalar_one()
    finally:
        await unreachable.aclose()
        await replica_engine.dispose()
