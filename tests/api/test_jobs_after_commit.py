"""Jobs enqueued during a request leave only if its transaction commits, and only after it."""

from __future__ import annotations

import sqlalchemy as sa
from litestar import post
from litestar.di import NamedDependency
from litestar.params import FromPath
from redis.asyncio import Redis

from api.app import create_app
from db.tables import job_markers
from services.messages import ActorAddress
from services.transaction import Transaction
from settings import Settings
from tests.support.client import api_client
from tests.support.savepoint_database import SavepointDatabase

PROBE = ActorAddress("probe.record", queue_name="probe")


async def write_marker_and_enqueue(tx: Transaction, request_id: str) -> None:
    await tx.connection.execute(
        sa.insert(job_markers).values(job_name="probe", scope_key=request_id, period_key="p")
    )
    tx.enqueue(PROBE, request_id)


@post("/probe/ok/{request_id:str}", exclude_from_auth=True)
async def succeeds(tx: NamedDependency[Transaction], request_id: FromPath[str]) -> None:
    await write_marker_and_enqueue(tx, request_id)


@post("/probe/fail/{request_id:str}", exclude_from_auth=True)
async def fails(tx: NamedDependency[Transaction], request_id: FromPath[str]) -> None:
    await write_marker_and_enqueue(tx, request_id)
    raise RuntimeError("the handler failed after enqueueing")


async def queued_payloads(redis: Redis, settings: Settings) -> list[bytes | str]:
    key = f"{settings.dramatiq_namespace}:{PROBE.queue_name}.msgs"
    return list((await redis.hgetall(key)).values())


async def test_failed_request_sends_nothing_and_successful_one_sends_after_commit(
    settings: Settings, database: SavepointDatabase, redis: Redis
) -> None:
    app = create_app(settings, database=database, extra_route_handlers=[succeeds, fails])
    await redis.delete(
        f"{settings.dramatiq_namespace}:{PROBE.queue_name}.msgs",
        f"{settings.dramatiq_namespace}:{PROBE.queue_name}",
    )
    async with api_client(app) as client:
        # When a request enqueues and then fails
        failed = await client.post("/probe/fail/req-failed")
        # Then it rolled back and nothing was sent
        assert failed.status_code == 500
        assert await queued_payloads(redis, settings) == []
        rows = await database.connection.execute(sa.select(job_markers.c.scope_key))
        assert rows.scalars().all() == []

        # When a request enqueues and succeeds
        ok = await client.post("/probe/ok/req-ok")
        # Then its row committed and exactly its message was sent
        assert ok.status_code == 201
        payloads = await queued_payloads(redis, settings)
        assert len(payloads) == 1
        assert "req-ok" in str(payloads[0])
    await redis.delete(
        f"{settings.dramatiq_namespace}:{PROBE.queue_name}.msgs",
        f"{settings.dramatiq_namespace}:{PROBE.queue_name}",
    )
