"""The drills: each sets up its fault before the fan-out (`before`) and injects it mid fan-out
(`inject`), returning when the fault started and ended."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import Any

import redis
import sqlalchemy as sa

from bench.drills.measure import FaultWindow
from bench.drills.processes import System, alive, kill
from db.tables import push_deliveries
from sandbox.expo.testing import SandboxHandle
from services.transaction import EngineDatabase
from settings import get_settings
from tools.pg_cluster import Cluster

# Where in the fan-out (share of the pushes Expo has accepted) a fault is injected.
MID_FAN_OUT = 0.3
KILLS_AT = (0.2, 0.4, 0.6)
OUTAGE_SECONDS = 30.0
# The whole system is stopped with TERM (a deploy) and started again after this pause.
RESTART_PAUSE_SECONDS = 2.0
POSTGRES_DOWN_SECONDS = 5.0


@dataclass(frozen=True, slots=True)
class Context:
    sandbox: SandboxHandle
    system: System
    database: EngineDatabase
    cluster: Cluster
    total: int


@dataclass(frozen=True, slots=True)
class Drill:
    name: str
    inject: Callable[[Context], Awaitable[FaultWindow | None]]
    sandbox_faults: dict[str, Any] = field(default_factory=dict)
    schedulers: int = 1


async def accepted_share(context: Context, share: float) -> None:
    """Wait until Expo has accepted `share` of the fan-out."""
    wanted = int(context.total * share)
    while True:
        stats = await asyncio.to_thread(context.sandbox.project_stats)
        if stats.get("recipients_accepted", 0) >= wanted:
            return
        await asyncio.sleep(0.1)


async def a_live_process_with_claims(database: EngineDatabase) -> int:
    """The pid of a live worker process holding deliveries in flight (claimed_by is host:pid:nonce; a
    killed process's claims stay in flight until the sweep takes them back)."""
    while True:
        async with database.transaction() as tx:
            owners = await tx.connection.scalars(
                sa.select(push_deliveries.c.claimed_by)
                .where(push_deliveries.c.status == "pending", push_deliveries.c.sent_at.is_not(None))
                .distinct()
            )
            pids = [int(owner.split(":")[1]) for owner in owners]
        for pid in pids:
            if alive(pid):
                return pid
        await asyncio.sleep(0.02)


async def nothing(context: Context) -> FaultWindow | None:
    """No fault injected mid fan-out (the baseline, or a fault present from start to end: no moment to
    recover from)."""
    return None


async def kill_workers(context: Context) -> FaultWindow:
    moments = []
    for share in KILLS_AT:
        await accepted_share(context, share)
        kill(await a_live_process_with_claims(context.database))
        moments.append(time.time())
    return FaultWindow(moments[0], moments[-1])


async def outage(context: Context) -> FaultWindow:
    await accepted_share(context, MID_FAN_OUT)
    started = time.time()
    await asyncio.to_thread(context.sandbox.outage, OUTAGE_SECONDS, 503)
    return FaultWindow(started, started + OUTAGE_SECONDS)


async def flush_redis(context: Context) -> FaultWindow:
    await accepted_share(context, MID_FAN_OUT)
    started = time.time()
    with redis.Redis.from_url(get_settings().redis_url) as client:
        client.flushdb()
    return FaultWindow(started, time.time())


async def restart_system(context: Context) -> FaultWindow:
    await accepted_share(context, MID_FAN_OUT)
    started = time.time()
    await asyncio.to_thread(context.system.restart)
    return FaultWindow(started, time.time())


async def restart_postgres(context: Context) -> FaultWindow:
    await accepted_share(context, MID_FAN_OUT)
    started = time.time()
    await asyncio.to_thread(context.cluster.stop, "immediate")
    await asyncio.sleep(POSTGRES_DOWN_SECONDS)
    await asyncio.to_thread(context.cluster.start)
    # The drill's own pooled connections died with the server.
    await context.database.engine.dispose()
    return FaultWindow(started, time.time())


BASELINE = Drill("baseline", nothing)
DRILLS = {
    drill.name: drill
    for drill in (
        Drill("kill-worker", kill_workers),
        Drill(
            "outage",
            outage,
            sandbox_faults={"fault_5xx_rate": 0.05},
        ),
        Drill(
            "after-accept",
            nothing,
            sandbox_faults={"fault_reset_after_accept_rate": 0.01, "fault_504_after_accept_rate": 0.01},
        ),
        Drill("redis-flush", flush_redis),
        Drill("second-scheduler", nothing, schedulers=2),
        Drill("restart-system", restart_system),
        Drill("restart-postgres", restart_postgres),
    )
}
