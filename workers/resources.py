"""Process-wide resources of a worker (database, Redis client), owned by a middleware.

They are created when the worker boots, never at import, and closed when it shuts down. Async actors
run on Dramatiq's own event-loop thread, so connections are opened lazily there, on first use.
"""

from __future__ import annotations

from dataclasses import dataclass

import redis.asyncio as aioredis
from dramatiq import Broker, Middleware, Worker
from dramatiq.asyncio import get_event_loop_thread

from db.engine import create_engine
from db.unit_of_work import EngineDatabase
from settings import Settings


class ResourcesNotReady(RuntimeError):
    """An actor ran outside a booted worker (tests call the functions behind actors instead)."""


@dataclass(frozen=True, slots=True)
class Resources:
    settings: Settings
    database: EngineDatabase
    redis: aioredis.Redis


class WorkerResources(Middleware):
    _current: Resources | None = None

    def __init__(self, settings: Settings) -> None:
        self.settings = settings

    @classmethod
    def current(cls) -> Resources:
        if cls._current is None:
            raise ResourcesNotReady("worker resources are created in before_worker_boot")
        return cls._current

    def before_worker_boot(self, broker: Broker, worker: Worker) -> None:
        engine = create_engine(
            self.settings.database_url,
            process_name="worker",
            pool_size=self.settings.db_pool_size,
            max_overflow=self.settings.db_max_overflow,
        )
        WorkerResources._current = Resources(
            settings=self.settings,
            database=EngineDatabase(engine),
            redis=aioredis.Redis.from_url(self.settings.redis_url),
        )

    def before_worker_shutdown(self, broker: Broker, worker: Worker) -> None:
        resources, WorkerResources._current = WorkerResources._current, None
        loop_thread = get_event_loop_thread()
        if resources is None or loop_thread is None:
            return
        loop_thread.run_coroutine(resources.database.engine.dispose())
        loop_thread.run_coroutine(resources.redis.aclose())
