"""Queue depths read from Redis at scrape time, exported by the scheduler (workers/scheduler.py): the
queues are shared by every worker, so the one scheduler reports them once instead of every worker
reporting the same figure. Key layout: Dramatiq's Redis broker (dramatiq/brokers/redis/dispatch.lua).

- fitnudge_queue_depth: messages waiting to be fetched (the queue's list);
- fitnudge_queue_delayed: delayed and retrying messages, including those a worker holds until their
  time (the delay queue's message hash);
- fitnudge_queue_dead_letters: messages whose retries ran out, kept a week by Dramatiq.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator

import redis
from prometheus_client.core import GaugeMetricFamily
from prometheus_client.registry import Collector

from services.metrics import PREFIX

__all__ = ["QUEUE_METRIC_NAMES", "QueueDepthCollector"]

QUEUE_METRICS = (
    (f"{PREFIX}_queue_depth", "Messages waiting in a queue"),
    (f"{PREFIX}_queue_delayed", "Delayed or retrying messages"),
    (f"{PREFIX}_queue_dead_letters", "Messages in the dead-letter set"),
)
QUEUE_METRIC_NAMES = tuple(name for name, _ in QUEUE_METRICS)


class QueueDepthCollector(Collector):
    def __init__(self, client: redis.Redis, namespace: str, queues: Callable[[], Iterable[str]]) -> None:
        self._client = client
        self._namespace = namespace
        self._queues = queues

    def collect(self) -> Iterator[GaugeMetricFamily]:
        depth, delayed, dead = (GaugeMetricFamily(name, doc, labels=["queue"]) for name, doc in QUEUE_METRICS)
        queues = sorted(name for name in self._queues() if not name.endswith(".DQ"))
        with self._client.pipeline(transaction=False) as pipe:
            for queue in queues:
                key = f"{self._namespace}:{queue}"
                pipe.llen(key)
                pipe.hlen(f"{key}.DQ.msgs")
                pipe.zcard(f"{key}.XQ")
            counts = pipe.execute()
        for index, queue in enumerate(queues):
            waiting, held, failed = counts[index * 3 : index * 3 + 3]
            depth.add_metric([queue], waiting)
            delayed.add_metric([queue], held)
            dead.add_metric([queue], failed)
        yield from (depth, delayed, dead)
