"""services/transaction.py: messages leave after commit, all together, off the event loop; a rolled-back
savepoint takes its messages with it."""

from __future__ import annotations

import threading
import uuid
from collections.abc import Iterator
from typing import Any

import dramatiq
import pytest
import sqlalchemy as sa
from dramatiq.brokers.redis import RedisBroker
from sqlalchemy.ext.asyncio import AsyncConnection

from db.tables import job_markers
from services.messages import ActorAddress, MessageSender
from services.transaction import Transaction
from settings import Settings
from tests.push.support import queued_messages
from tests.support.savepoint_database import SavepointDatabase

PROBE = ActorAddress("probe.record", queue_name="probe")


class ThreadRecordingBroker(RedisBroker):
    """A real Redis broker that also notes which thread each enqueue ran on."""

    def __init__(self, **options: Any) -> None:
        super().__init__(**options)  # type: ignore[no-untyped-call]
        self.enqueue_threads: list[int] = []

    def enqueue(self, message: dramatiq.Message[Any], *, delay: int | None = None) -> dramatiq.Message[Any]:
        self.enqueue_threads.append(threading.get_ident())
        return super().enqueue(message, delay=delay)


@pytest.fixture
def probe_broker(settings: Settings) -> Iterator[ThreadRecordingBroker]:
    namespace = f"{settings.dramatiq_namespace}-tx-{uuid.uuid4().hex[:8]}"
    broker = ThreadRecordingBroker(url=settings.redis_url, namespace=namespace, middleware=[])
    yield broker
    broker.flush_all()
    broker.close()


async def mark(connection: AsyncConnection, key: str) -> None:
    await connection.execute(sa.insert(job_markers).values(job_name="probe", scope_key=key, period_key="p"))


async def failing_nested_work(tx: Transaction) -> None:
    async with tx.savepoint():
        await mark(tx.connection, "dropped")
        tx.enqueue(PROBE, "dropped")
        raise RuntimeError("the nested work failed")


async def test_messages_leave_after_commit_on_a_worker_thread(
    connection: AsyncConnection, probe_broker: ThreadRecordingBroker, settings: Settings
) -> None:
    database = SavepointDatabase(connection, MessageSender(probe_broker))
    async with database.transaction() as tx:
        await mark(tx.connection, "a")
        tx.enqueue(PROBE, "a")
        tx.enqueue_many(PROBE, [("b",), ("c",)])
        # Nothing leaves before the commit
        assert probe_broker.enqueue_threads == []
    assert sorted(message.args[0] for message in queued_messages(probe_broker, settings, "probe")) == [
        "a",
        "b",
        "c",
    ]
    assert len(set(probe_broker.enqueue_threads)) == 1
    assert threading.get_ident() not in probe_broker.enqueue_threads


async def test_a_rolled_back_savepoint_drops_the_messages_queued_inside_it(
    connection: AsyncConnection, probe_broker: ThreadRecordingBroker, settings: Settings
) -> None:
    database = SavepointDatabase(connection, MessageSender(probe_broker))
    async with database.transaction() as tx:
        tx.enqueue(PROBE, "kept")
        with pytest.raises(RuntimeError):
            await failing_nested_work(tx)
    assert [message.args[0] for message in queued_messages(probe_broker, settings, "probe")] == ["kept"]
    rows = await connection.execute(
        sa.select(job_markers.c.scope_key).where(job_markers.c.job_name == "probe")
    )
    assert rows.scalars().all() == []
