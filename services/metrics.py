"""Every metric the processes export, in one place, so the dashboard and the alert rules
(ops/grafana/, ops/prometheus/) have one list to name from (tests/ops checks they name nothing else).

Values live in files (prometheus_client's multiprocess mode: services/metrics_setup.py), so each
process type's scrape endpoint adds up all its processes. Recording never raises into the work it
describes. HTTP request metrics come from Litestar's Prometheus middleware (api/metrics.py), named
with the same prefix.
"""

from __future__ import annotations

from collections.abc import Mapping

from prometheus_client import Counter, Gauge, Histogram

__all__ = [
    "AI_CALLS",
    "AI_TOKENS",
    "DB_STATEMENT_SECONDS",
    "DUE_LAG_SECONDS",
    "EMAILS",
    "JOB_COUNTS",
    "PREFIX",
    "PRODUCT_EVENTS",
    "PUSHES",
    "PUSH_LIMITER_WAIT_SECONDS",
    "PUSH_REQUESTS",
    "REPLICA_READS",
    "TASKS",
    "TASK_DURATION_SECONDS",
    "TASK_LATENCY_SECONDS",
    "record_ai_usage",
    "record_job_counts",
]

PREFIX = "fitnudge"

# Seconds: from a few milliseconds (a statement, a fast actor) to the alert thresholds (30 s, 60 s,
# 2 s for statements) and beyond, so a p95 above each threshold is visible as such.
SHORT_BUCKETS = (0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.0, 5.0, 10.0)
TASK_BUCKETS = (0.01, 0.05, 0.1, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0, 60.0, 120.0, 300.0, 900.0)

DB_STATEMENT_SECONDS = Histogram(
    f"{PREFIX}_db_statement_seconds",
    "Time of one SQL statement, by process type",
    ["process"],
    buckets=SHORT_BUCKETS,
)

TASK_LATENCY_SECONDS = Histogram(
    f"{PREFIX}_task_latency_seconds",
    "From a message's enqueue (or its due time, when delayed) to an actor starting it",
    ["actor", "queue"],
    buckets=TASK_BUCKETS,
)
TASK_DURATION_SECONDS = Histogram(
    f"{PREFIX}_task_duration_seconds", "Time an actor ran", ["actor", "queue"], buckets=TASK_BUCKETS
)
# outcome: ok, failed (will be retried), dead (retries spent: in the dead-letter queue), skipped.
TASKS = Counter(f"{PREFIX}_tasks_total", "Actor runs by outcome", ["actor", "queue", "outcome"])

# Every periodic job's counts (the numbers of its log line), e.g. receipts checked by outcome. The label
# is not `job`: Prometheus gives every scraped series the scrape job's `job` label, and a metric's own
# `job` would be renamed `exported_job` (found by bench/day against a real Prometheus).
JOB_COUNTS = Counter(
    f"{PREFIX}_job_counts_total", "Counts reported by periodic job runs", ["periodic_job", "count"]
)

# Age of the oldest row a due index holds past its due time, per job (workers/jobs/due_lag.py).
DUE_LAG_SECONDS = Gauge(
    f"{PREFIX}_due_lag_seconds",
    "Age of the oldest overdue row of a job's due index",
    ["periodic_job"],
    multiprocess_mode="mostrecent",
)

# outcome: accepted, device_not_registered, rate_limited, failed, retried, unconfirmed,
# resent_after_ambiguous, stale.
PUSHES = Counter(f"{PREFIX}_pushes_total", "Push deliveries by outcome", ["outcome"])
# status: the HTTP status, or the transport error's name (ConnectError, ReadTimeout, …).
PUSH_REQUESTS = Counter(
    f"{PREFIX}_push_requests_total", "Requests to Expo by path and status", ["path", "status"]
)
PUSH_LIMITER_WAIT_SECONDS = Histogram(
    f"{PREFIX}_push_limiter_wait_seconds",
    "Time a batch waited for the global Expo rate limiter",
    buckets=SHORT_BUCKETS,
)

# outcome: the services/ai/usage.py counters (ok, rate_limited, timeout, …, fallbacks).
AI_CALLS = Counter(
    f"{PREFIX}_ai_calls_total", "Language model calls and attempts by outcome", ["feature", "outcome"]
)
AI_TOKENS = Counter(f"{PREFIX}_ai_tokens_total", "Language model tokens", ["feature", "kind"])

# outcome: sent, dropped (buffer full), failed (PostHog did not take a batch; kept for the next pass).
PRODUCT_EVENTS = Counter(f"{PREFIX}_product_events_total", "Product analytics events by outcome", ["outcome"])

# outcome: sent, retrying, failed.
EMAILS = Counter(f"{PREFIX}_emails_total", "Mail sending attempts by outcome", ["outcome"])

# served_by: replica, primary_replica_behind (the reader's last write not replayed yet),
# primary_replica_down, primary_position_unknown (Redis failed) (services/read_replica.py).
REPLICA_READS = Counter(
    f"{PREFIX}_replica_reads_total", "Reads that may use the read replica, by where they ran", ["served_by"]
)


def record_job_counts(job: str, counts: Mapping[str, int]) -> None:
    for name, value in counts.items():
        if value > 0:
            JOB_COUNTS.labels(job, name).inc(value)


def record_ai_usage(feature: str, counts: Mapping[str, int]) -> None:
    """The counters of services/ai/usage.py: tokens by kind, everything else as a call outcome."""
    for name, value in counts.items():
        if value <= 0:
            continue
        if name.endswith("_tokens"):
            AI_TOKENS.labels(feature, name.removesuffix("_tokens")).inc(value)
        else:
            AI_CALLS.labels(feature, name).inc(value)
