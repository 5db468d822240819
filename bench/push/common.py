"""Shared pieces of the push benchmarks: a seeded scratch database, a warmed sandbox, worker processes.

Import `bench.push.common` first: it points this process (and the workers it starts) at a scratch
database and Dramatiq namespace of the run's own (bench/scheduling/scratch.py), never the dev ones.
"""

from __future__ import annotations

from bench.scheduling.scratch import ScratchEnvironment, scratch_database, use_scratch_environment

SCRATCH: ScratchEnvironment = use_scratch_environment("push")

import asyncio  # noqa: E402
import gzip  # noqa: E402
import json  # noqa: E402
import os  # noqa: E402
import signal  # noqa: E402
import subprocess  # noqa: E402
import sys  # noqa: E402
import time  # noqa: E402
import uuid  # noqa: E402
from collections.abc import AsyncIterator, Iterator  # noqa: E402
from contextlib import asynccontextmanager, contextmanager  # noqa: E402
from dataclasses import dataclass  # noqa: E402
from datetime import UTC, datetime  # noqa: E402
from pathlib import Path  # noqa: E402
from typing import Any  # noqa: E402

import httpx  # noqa: E402
import redis  # noqa: E402
import sqlalchemy as sa  # noqa: E402

from db.engine import create_engine  # noqa: E402
from db.notifications import NotificationDraft, create_notifications  # noqa: E402
from db.tables import device_tokens, push_deliveries, users  # noqa: E402
from domain.notification_copy.content import NotificationContent  # noqa: E402
from domain.notification_types import NotificationType  # noqa: E402
from sandbox.expo.testing import SandboxHandle, sandbox_process  # noqa: E402
from services.addresses import PUSH_DELIVER  # noqa: E402
from services.messages import MessageSender, build_client_broker, build_message  # noqa: E402
from services.progress import countdown, steps  # noqa: E402
from services.transaction import EngineDatabase  # noqa: E402
from settings import get_settings  # noqa: E402
from workers.push.limiter import project_key  # noqa: E402

REPO_ROOT = Path(__file__).resolve().parents[2]
SEED_CHUNK = 5_000
# What each Dramatiq worker process logs once it consumes.
WORKER_READY = "Worker process is ready for action."


@dataclass(frozen=True, slots=True)
class Seeded:
    notification_ids: list[str]
    seconds: float  # creating users, devices and notifications (the producer's statement included)


@asynccontextmanager
async def scratch_engine() -> AsyncIterator[EngineDatabase]:
    async with scratch_database(SCRATCH) as url:
        engine = create_engine(url, process_name="bench-push", pool_size=8, max_overflow=0)
        try:
            settings = get_settings()
            yield EngineDatabase(
                engine, MessageSender.to_redis(settings.redis_url, settings.dramatiq_namespace)
            )
        finally:
            await engine.dispose()


def _notice(index: int) -> NotificationContent:
    return NotificationContent(
        notification_type=NotificationType.REMINDER,
        title="Time to move",
        body=f"Your 19:00 workout starts in 10 minutes. ({index})",
        data={"type": "reminder", "subtype": "checkin_prompt", "deepLink": "/(user)/(tabs)"},
    )


async def seed(database: EngineDatabase, count: int) -> Seeded:
    """`count` users with one device each and one pending notification each."""
    started = time.perf_counter()
    notification_ids: list[str] = []
    for offset in steps(
        range(0, count, SEED_CHUNK), what="seeding", total=-(-count // SEED_CHUNK), unit="chunk"
    ):
        size = min(SEED_CHUNK, count - offset)
        tags = [uuid.uuid4().hex for _ in range(size)]
        async with database.transaction() as tx:
            user_ids = (
                await tx.connection.execute(
                    sa.insert(users).returning(users.c.id),
                    [{"email": f"{tag}@bench.example", "username": tag, "name": "Bench"} for tag in tags],
                )
            ).scalars()
            user_ids = list(user_ids)
            await tx.connection.execute(
                sa.insert(device_tokens),
                [
                    {
                        "user_id": user_id,
                        "fcm_token": f"ExponentPushToken[{tag}]",
                        "device_type": "android",
                        "device_id": tag,
                        "app_version": "1.0",
                        "os_version": "14",
                    }
                    for user_id, tag in zip(user_ids, tags, strict=True)
                ],
            )
            created = await create_notifications(
                tx.connection,
                [NotificationDraft(user_id, _notice(offset + i)) for i, user_id in enumerate(user_ids)],
                now=datetime.now(UTC),
            )
        notification_ids += [str(notification_id) for notification_id in created.notification_ids]
    seconds = time.perf_counter() - started
    # Fresh statistics, as autovacuum keeps them on a live table: planned against an unanalyzed bulk
    # load, the claim sorts every due row instead of walking the due index.
    async with database.engine.connect() as connection:
        await connection.execute(sa.text("ANALYZE"))
        await connection.commit()
    return Seeded(notification_ids, seconds)


@contextmanager
def warm_sandbox(**config: Any) -> Iterator[SandboxHandle]:
    """A sandbox process, its first (slow) full gzipped batch already behind it, counters reset."""
    with sandbox_process(**config) as base_url:
        handle = SandboxHandle(base_url)
        try:
            batch = [
                {"to": f"ExponentPushToken[warm-{i}]", "title": "warm-up", "body": "b" * 40}
                for i in range(100)
            ]
            httpx.post(
                f"{base_url}/--/api/v2/push/send",
                content=gzip.compress(json.dumps(batch).encode()),
                headers={"content-encoding": "gzip"},
            )
            handle.reset()
            yield handle
        finally:
            handle.close()


@contextmanager
def push_workers(*, base_url: str, budget: int, processes: int, threads: int, log: Path) -> Iterator[None]:
    """`dramatiq workers.broker workers.push.actors` as the Procfile runs workers, push actors only;
    entered once every process is ready, as at an evening's fan-out (workers long started): processes
    still importing on these 2 cores delayed the first batches of the others by up to 26 ms, past
    the limiter's margin (a 429 in the first 3 s of most 4- and 8-process runs)."""
    command = [
        str(Path(sys.executable).parent / "dramatiq"),
        "workers.broker",
        "workers.push.actors",
        "-p",
        str(processes),
        "-t",
        str(threads),
    ]
    env = {**os.environ, "EXPO_PUSH_URL": base_url, "EXPO_RATE_LIMIT_PER_SECOND": str(budget)}
    with open(log, "wb") as output:
        process = subprocess.Popen(
            command, cwd=REPO_ROOT, env=env, stdout=output, stderr=subprocess.STDOUT, start_new_session=True
        )
        try:
            _until_ready(log, processes)
            yield
        finally:
            os.killpg(process.pid, signal.SIGTERM)
            try:
                process.wait(timeout=30)
            except subprocess.TimeoutExpired:
                os.killpg(process.pid, signal.SIGKILL)
                process.wait()


def _until_ready(log: Path, processes: int, timeout_s: float = 120) -> None:
    deadline = time.monotonic() + timeout_s
    while log.read_text(errors="replace").count(WORKER_READY) < processes:
        if time.monotonic() > deadline:
            raise TimeoutError(f"{processes} worker processes not ready after {timeout_s} s (log: {log})")
        time.sleep(0.1)


def kick(times: int = 1) -> None:
    """Enqueue push.deliver, as a producer does after committing its notices."""
    settings = get_settings()
    broker = build_client_broker(settings.redis_url, settings.dramatiq_namespace)
    try:
        for _ in range(times):
            broker.enqueue(build_message(PUSH_DELIVER))
    finally:
        broker.close()


def clear_redis_state() -> None:
    """Drop the run's queues and its limiter key."""
    settings = get_settings()
    with redis.Redis.from_url(settings.redis_url) as client:
        keys = list(client.scan_iter(f"{settings.dramatiq_namespace}*"))
        keys.append(project_key(settings.dramatiq_namespace))
        client.delete(*keys)


async def pending(database: EngineDatabase) -> int:
    async with database.transaction() as tx:
        result = await tx.connection.execute(
            sa.select(sa.func.count())
            .select_from(push_deliveries)
            .where(push_deliveries.c.status == "pending")
        )
        return int(result.scalar_one())


async def wait_until_delivered(database: EngineDatabase, timeout_s: float) -> float:
    """Seconds until no delivery is pending (polled every 100 ms)."""
    started = time.perf_counter()
    left = await pending(database)
    with countdown(left, what="delivering", unit="push") as show:
        while left:
            show(left)
            if time.perf_counter() - started > timeout_s:
                raise TimeoutError(f"{left} deliveries still pending after {timeout_s} s")
            await asyncio.sleep(0.1)
            left = await pending(database)
    return time.perf_counter() - started


def sent_counts(sandbox: SandboxHandle) -> dict[str, int]:
    """How often Expo accepted each notification id."""
    counts: dict[str, int] = {}
    for entry in sandbox.messages(limit=1_000_000):
        if entry["ticket_status"] == "ok":
            notification_id = entry["message"]["data"]["notification_id"]
            counts[notification_id] = counts.get(notification_id, 0) + 1
    return counts


def lost_and_doubled(sandbox: SandboxHandle, notification_ids: list[str]) -> tuple[int, int]:
    counts = sent_counts(sandbox)
    lost = sum(1 for notification_id in notification_ids if counts.get(notification_id, 0) == 0)
    doubled = sum(1 for count in counts.values() if count > 1)
    return lost, doubled
