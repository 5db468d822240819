"""Task latency, duration and outcome per actor (services/metrics.py), as a Dramatiq middleware.

Latency runs from the moment a message could first run (its enqueue, or its `eta` when delayed or
retried) to an actor starting it: the figure the queue-latency alert watches. The outcome is read after
the Retries middleware (listed before this one) has decided: `failed` will run again, `dead` went to
the dead-letter queue.
"""

from __future__ import annotations

import threading
import time
from typing import Any

from dramatiq import Broker, Middleware
from dramatiq.broker import MessageProxy

from services.metrics import TASK_DURATION_SECONDS, TASK_LATENCY_SECONDS, TASKS

__all__ = ["TaskMetrics"]


class TaskMetrics(Middleware):
    def __init__(self) -> None:
        # Worker threads each run one message at a time.
        self._started = threading.local()

    def before_process_message(self, broker: Broker, message: MessageProxy) -> None:
        now_ms = time.time() * 1000
        ready_ms = message.options.get("eta") or message.message_timestamp
        TASK_LATENCY_SECONDS.labels(message.actor_name, message.queue_name).observe(
            max(0.0, (now_ms - ready_ms) / 1000)
        )
        self._started.at = time.perf_counter()

    def after_process_message(
        self,
        broker: Broker,
        message: MessageProxy,
        *,
        result: Any = None,
        exception: BaseException | None = None,
    ) -> None:
        started = getattr(self._started, "at", None)
        if started is not None:
            TASK_DURATION_SECONDS.labels(message.actor_name, message.queue_name).observe(
                time.perf_counter() - started
            )
            self._started.at = None
        outcome = "ok" if exception is None else "dead" if message.failed else "failed"
        TASKS.labels(message.actor_name, message.queue_name, outcome).inc()

    def after_skip_message(self, broker: Broker, message: MessageProxy) -> None:
        TASKS.labels(message.actor_name, message.queue_name, "skipped").inc()
