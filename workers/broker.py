"""The Dramatiq broker every worker and scheduler process shares.

Dramatiq binds actors to the broker that is global when they are declared, so this module sets it up
on import; it creates no connection until the first message moves. Middleware is listed explicitly so
nothing rides along by default.
"""

from __future__ import annotations

import dramatiq
from dramatiq.brokers.redis import RedisBroker
from dramatiq.middleware import (
    AgeLimit,
    AsyncIO,
    Callbacks,
    Pipelines,
    Retries,
    ShutdownNotifications,
    TimeLimit,
)
from periodiq import PeriodiqMiddleware

from settings import get_settings
from workers.liveness import WorkerLiveness
from workers.log_middleware import LogContext
from workers.resources import WorkerResources
from workers.task_metrics import TaskMetrics

# Actor-level options override these; they only bound an actor that forgot to set its own.
DEFAULT_MAX_RETRIES = 5
DEFAULT_TIME_LIMIT_MS = 5 * 60_000
DEFAULT_MAX_AGE_MS = 24 * 3_600_000


def build_broker() -> RedisBroker:
    settings = get_settings()
    return RedisBroker(  # type: ignore[no-untyped-call]
        url=settings.redis_url,
        namespace=settings.dramatiq_namespace,
        middleware=[
            AgeLimit(max_age=DEFAULT_MAX_AGE_MS),
            TimeLimit(time_limit=DEFAULT_TIME_LIMIT_MS),
            ShutdownNotifications(),
            Callbacks(),
            Pipelines(),
            Retries(max_retries=DEFAULT_MAX_RETRIES),
            # After Retries, whose verdict (retry or dead letter) it reports.
            TaskMetrics(),
            # After Retries, so the lines Retries writes about a message still carry its context.
            LogContext(),
            # Before AsyncIO: hooks run in this order, so at shutdown these close their resources (and
            # stop beating) after the worker threads finished and before the event loop stops.
            WorkerResources(settings),
            WorkerLiveness(settings.redis_url, settings.dramatiq_namespace),
            AsyncIO(),
            # periodiq drops periodic messages older than 30 s: a tick that late is superseded by the
            # next one, and every periodic job catches up from its due index anyway.
            PeriodiqMiddleware(skip_delay=30),
        ],
    )


broker = build_broker()
dramatiq.set_broker(broker)
