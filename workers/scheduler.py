"""The Procfile's `scheduler`: periodiq (`workers/schedule.py` declares what it fires) plus the
scheduler's metrics on SCHEDULER_METRICS_PORT: the Dramatiq queues' depths, read from Redis at scrape
time (workers/queue_metrics.py), reported by this one process rather than by every worker.

    python -m workers.scheduler
"""

# Before anything imports prometheus_client (services/metrics_setup.py says why).
from services.metrics_setup import use_multiprocess_dir

METRICS_DIR = use_multiprocess_dir("scheduler", own=True)

import sys  # noqa: E402

import periodiq  # noqa: E402
import redis  # noqa: E402

# Every actor declared (periodiq imports it too), so the first scrape already lists every queue.
import workers.schedule  # noqa: E402, F401
from services.log_context import configure_logging  # noqa: E402
from settings import get_settings  # noqa: E402
from workers.broker import broker  # noqa: E402
from workers.metrics_server import serve_metrics  # noqa: E402
from workers.queue_metrics import QueueDepthCollector  # noqa: E402

PERIODIQ_ARGS = ["workers.broker", "workers.schedule"]


def main() -> None:
    settings = get_settings()
    # Before periodiq's own basicConfig, which then finds the root logger set up and leaves it.
    configure_logging("scheduler", settings.log_format)
    queues = QueueDepthCollector(
        redis.Redis.from_url(settings.redis_url), settings.dramatiq_namespace, broker.get_declared_queues
    )
    serve_metrics(settings.scheduler_metrics_port, METRICS_DIR, queues)
    sys.argv = ["periodiq", *PERIODIQ_ARGS]
    periodiq.entrypoint()


if __name__ == "__main__":
    main()
