"""Which worker processes are alive: each beats into one Redis sorted set, from a thread of its own.

The push sweeper (workers/push/sweep.py) takes back the claims of a process that stopped beating, so a
worker killed mid-batch delays its pushes by seconds instead of a whole claim lease. The beat comes
from a plain thread, not the actors' event loop: a loop that is busy or stalled still counts as alive
(the claim fence, workers/push/claim_fence.py, covers a stall past the lease); only a dead process
stops beating. The supervisor (workers/supervisor.py) asks for a sweep as soon as a child dies.
"""

from __future__ import annotations

import logging
import os
import socket
import threading
import time
import uuid
from datetime import datetime, timedelta
from typing import Final

import redis
import redis.asyncio as aioredis
from dramatiq import Broker, Middleware, Worker

logger = logging.getLogger(__name__)

BEAT_INTERVAL: Final = timedelta(seconds=3)
# A process whose last beat is older than this is dead (several missed beats, not one slow one).
DEAD_AFTER: Final = timedelta(seconds=12)
# Entries of processes gone this long are dropped from the set.
FORGET_AFTER: Final = timedelta(days=1)


def liveness_key(namespace: str) -> str:
    return f"{namespace}:workers:alive"


def new_owner_id() -> str:
    """A process's name in claims and beats: host, pid, and a nonce (pids are reused)."""
    return f"{socket.gethostname()}:{os.getpid()}:{uuid.uuid4().hex[:8]}"


async def live_owners(client: aioredis.Redis, namespace: str, *, now: datetime) -> list[str]:
    """The processes that beat within DEAD_AFTER of `now`."""
    key = liveness_key(namespace)
    await client.zremrangebyscore(key, "-inf", (now - FORGET_AFTER).timestamp())
    members = await client.zrangebyscore(key, (now - DEAD_AFTER).timestamp(), "+inf")
    return [member.decode() if isinstance(member, bytes) else str(member) for member in members]


class Heartbeat:
    """Beats `owner` into the set every BEAT_INTERVAL until stopped, then removes it."""

    def __init__(self, redis_url: str, namespace: str, owner: str) -> None:
        self.owner = owner
        self._key = liveness_key(namespace)
        self._client = redis.Redis.from_url(redis_url)
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name="liveness", daemon=True)

    def start(self) -> None:
        self._beat()  # alive before the first message is taken
        self._thread.start()

    def stop(self) -> None:
        self._stop.set()
        self._thread.join(timeout=BEAT_INTERVAL.total_seconds() * 2)
        try:
            self._client.zrem(self._key, self.owner)
        except redis.RedisError:
            logger.warning("liveness: could not remove %s; it expires after %s", self.owner, DEAD_AFTER)
        self._client.close()

    def _beat(self) -> None:
        self._client.zadd(self._key, {self.owner: time.time()})

    def _run(self) -> None:
        while not self._stop.wait(BEAT_INTERVAL.total_seconds()):
            try:
                self._beat()
            except redis.RedisError as error:  # Redis away: beats resume with it
                logger.warning("liveness: beat failed: %s", error)


class WorkerLiveness(Middleware):
    """Each worker process beats while it runs; `owner()` is its name in push claims."""

    _heartbeat: Heartbeat | None = None

    def __init__(self, redis_url: str, namespace: str) -> None:
        self.redis_url = redis_url
        self.namespace = namespace

    @classmethod
    def owner(cls) -> str:
        """This worker process's name; outside a booted worker (an operator command) a name that
        never beats, so anything it claimed counts as abandoned once DEAD_AFTER has passed."""
        return cls._heartbeat.owner if cls._heartbeat is not None else new_owner_id()

    def after_worker_boot(self, broker: Broker, worker: Worker) -> None:
        WorkerLiveness._heartbeat = Heartbeat(self.redis_url, self.namespace, new_owner_id())
        WorkerLiveness._heartbeat.start()

    # A draining worker keeps beating until its messages are done: its claims are still its own.
    def after_worker_shutdown(self, broker: Broker, worker: Worker) -> None:
        heartbeat, WorkerLiveness._heartbeat = WorkerLiveness._heartbeat, None
        if heartbeat is not None:
            heartbeat.stop()
