"""Process-wide resources of a worker (database, Redis client), owned by a middleware.

They are created when the worker boots, never at import, and closed when it shuts down. Async actors
run on Dramatiq's own event-loop thread, so connections are opened lazily there, on first use. An
operator command (`python -m workers.run_job`) opens and closes the same resources around one run, so a
job runs with exactly what it has in a worker.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field

import redis.asyncio as aioredis
from dramatiq import Broker, Middleware, Worker
from dramatiq.asyncio import get_event_loop_thread

from db.engine import create_engine
from services.ai.client import build_text_model
from services.ai.model import TextModel
from services.log_context import configure_logging
from services.messages import MessageSender
from services.redis_clients import process_redis
from services.statement_timing import time_statements
from services.transaction import EngineDatabase
from settings import Settings

CloseCallback = Callable[[], Awaitable[None]]


class ResourcesNotReady(RuntimeError):
    """An actor ran outside a booted worker (tests call the functions behind actors instead)."""


@dataclass(slots=True)
class Resources:
    settings: Settings
    database: EngineDatabase
    redis: aioredis.Redis
    ai: TextModel
    # What was built on top of these later (the push sender's Expo client), closed first.
    closers: list[CloseCallback] = field(default_factory=list)

    def close_later(self, callback: CloseCallback) -> None:
        self.closers.append(callback)

    async def close(self) -> None:
        for callback in reversed(self.closers):
            await callback()
        await self.ai.aclose()
        await self.database.engine.dispose()
        await self.redis.aclose()


class WorkerResources(Middleware):
    _current: Resources | None = None

    def __init__(self, settings: Settings) -> None:
        self.settings = settings

    @classmethod
    def current(cls) -> Resources:
        if cls._current is None:
            raise ResourcesNotReady("worker resources are created in before_worker_boot")
        return cls._current

    @classmethod
    def open(cls, settings: Settings, broker: Broker, *, process_name: str, pool_size: int) -> Resources:
        engine = create_engine(
            settings.database_url,
            process_name=process_name,
            pool_size=pool_size,
            max_overflow=settings.db_max_overflow,
        )
        time_statements(engine, process_name)
        redis = process_redis(settings.redis_url)
        cls._current = Resources(
            settings=settings,
            database=EngineDatabase(engine, MessageSender(broker)),
            redis=redis,
            ai=build_text_model(settings, redis),
        )
        return cls._current

    @classmethod
    async def close(cls) -> None:
        resources, cls._current = cls._current, None
        if resources is not None:
            await resources.close()

    def before_worker_boot(self, broker: Broker, worker: Worker) -> None:
        # Dramatiq's CLI set up this child's root handler (a pipe to its parent); the lines keep it.
        configure_logging("worker", self.settings.log_format)
        WorkerResources.open(
            self.settings, broker, process_name="worker", pool_size=self.settings.db_pool_size
        )

    # After the worker threads have finished their messages (a batch in flight still records its
    # tickets), and before the AsyncIO middleware stops the loop: broker.py lists this one first.
    def after_worker_shutdown(self, broker: Broker, worker: Worker) -> None:
        loop_thread = get_event_loop_thread()
        if loop_thread is not None:
            loop_thread.run_coroutine(WorkerResources.close())
