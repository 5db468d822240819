"""What the day-in-the-life run prints and draws: per-route latency, push lag behind due time, queue
peaks, error rate, the alert verdicts, and a PNG of pushes/s, queue depth and lag over the run."""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

import asyncpg
import matplotlib

from bench.stats import percentile

matplotlib.use("Agg")  # files only: the benchmark runs without a screen
import matplotlib.pyplot as plt

from bench.day.load import Outcomes
from bench.day.population import Window
from bench.day.prometheus import AlertVerdict, Prometheus, Series

# The due instants the run started with, by dedupe-key prefix and subject (goal or user), so a push
# can be matched to the instant it was due (domain/dedupe_keys.py names the prefixes).
RECORD_DUE_SQL = """
CREATE TABLE bench_day_due AS
SELECT 'ai_motivation' AS kind, goal_id AS subject, next_fire_at AS due_at FROM reminder_slots
UNION ALL
SELECT 'morning_motivation', id, next_morning_motivation_at FROM users
WHERE next_morning_motivation_at IS NOT NULL
UNION ALL
SELECT 'checkin_prompt', goal_id, prompt_due_at FROM check_ins WHERE prompt_due_at IS NOT NULL
UNION ALL
SELECT 'checkin_followup', goal_id, followup_due_at FROM check_ins WHERE followup_due_at IS NOT NULL;
CREATE INDEX ON bench_day_due (kind, subject);
"""

# The due jobs run once a minute (periodiq, second 0), so an instant due just after a tick waits up to
# a minute before anything can happen: the ceiling the push lag is measured against.
TICK_FLOOR_S = 60.0

PUSH_LAG_SQL = """
SELECT due.kind,
       extract(epoch FROM delivery.sent_at - due.due_at) AS lag_s,
       extract(epoch FROM delivery.sent_at - $1) AS at_s
FROM push_deliveries delivery
JOIN notification_history notice ON notice.id = delivery.notification_id
JOIN bench_day_due due
  ON due.kind = split_part(notice.dedupe_key, ':', 1)
 AND due.subject::text = split_part(notice.dedupe_key, ':', 2)
WHERE delivery.sent_at IS NOT NULL
"""

DUE_COUNTS_SQL = "SELECT kind, count(*) FROM bench_day_due GROUP BY kind"
NOTICE_COUNTS_SQL = """
SELECT split_part(dedupe_key, ':', 1) AS kind, count(*) AS notices,
       count(*) FILTER (WHERE push_status = 'sent') AS sent
FROM notification_history GROUP BY 1 ORDER BY 2 DESC
"""


@dataclass(frozen=True, slots=True)
class PushLag:
    by_kind: dict[str, list[float]]  # seconds from due instant to the push leaving for Expo
    timeline: list[tuple[float, float]]  # (seconds after the start, lag) per push
    due: dict[str, int]
    notices: list[tuple[str, int, int]]  # (kind, notices written, pushes sent)


async def record_due(dsn: str) -> None:
    connection = await asyncpg.connect(dsn)
    try:
        await connection.execute(RECORD_DUE_SQL)
    finally:
        await connection.close()


async def push_lag(dsn: str, window: Window) -> PushLag:
    connection = await asyncpg.connect(dsn)
    try:
        rows = await connection.fetch(PUSH_LAG_SQL, window.start)
        due = {row["kind"]: row["count"] for row in await connection.fetch(DUE_COUNTS_SQL)}
        notices = [
            (row["kind"] or "(no key)", row["notices"], row["sent"])
            for row in await connection.fetch(NOTICE_COUNTS_SQL)
        ]
    finally:
        await connection.close()
    by_kind: defaultdict[str, list[float]] = defaultdict(list)
    for row in rows:
        by_kind[row["kind"]].append(float(row["lag_s"]))
    timeline = sorted((float(row["at_s"]), float(row["lag_s"])) for row in rows)
    return PushLag(dict(by_kind), timeline, due, notices)


def _peak(series: list[Series]) -> dict[str, float]:
    return {"/".join(s.labels.values()) or "all": max((v for _, v in s.points), default=0.0) for s in series}


def text_report(
    outcomes: Outcomes,
    lag: PushLag,
    prometheus: Prometheus,
    verdicts: list[AlertVerdict],
    window: Window,
    end: datetime,
) -> str:
    lines = [f"window {window.start:%H:%M:%S}–{window.end:%H:%M:%S} UTC, a day compressed {window.factor:g}×"]
    lines.append("API (latency from the planned instant, open loop):")
    for route in outcomes.routes:
        latencies = outcomes.latencies_ms(route)
        statuses = outcomes.statuses(route)
        lines.append(
            f"  {route:<22} {len(latencies):>7} requests  p50 {percentile(latencies, 0.5):7.1f} ms"
            f"  p99 {percentile(latencies, 0.99):8.1f} ms  statuses {statuses}"
        )
    run_s = int((end - window.start).total_seconds())
    for quantile in (0.5, 0.99):
        served = prometheus.range(
            f"histogram_quantile({quantile}, sum by (le, method, path) "
            f"(increase(fitnudge_request_duration_seconds_bucket[{run_s}s])))",
            end,
            end,
        )
        lines.append(
            f"  server side p{quantile * 100:g} (Prometheus histogram): "
            + ", ".join(
                f"{s.labels.get('method')} {s.labels.get('path')} {s.points[-1][1] * 1000:.0f} ms"
                for s in served
                if s.points
            )
        )
    total = len(outcomes.answers)
    lines.append(
        f"  error rate: {outcomes.count(server_errors=True) / total:.4%} 5xx or no answer, "
        f"{outcomes.count(server_errors=False) / total:.4%} not 2xx, of {total} requests; "
        f"the player's worst own lateness {outcomes.worst_send_lateness_s:.2f} s"
    )
    lines.append("Pushes (lag = left for Expo − due instant):")
    for kind in sorted(lag.due):
        lags = lag.by_kind.get(kind, [])
        figures = (
            f"p50 {percentile(lags, 0.5):6.1f} s  p99 {percentile(lags, 0.99):6.1f} s  max {max(lags):6.1f} s"
            if lags
            else "none sent"
        )
        lines.append(f"  {kind:<20} due {lag.due[kind]:>7}  pushed {len(lags):>7}  {figures}")
    every_lag = [value for lags in lag.by_kind.values() for value in lags]
    if every_lag:
        p99 = percentile(every_lag, 0.99)
        lines.append(
            f"  all pushes: p99 {p99:.1f} s = {p99 / TICK_FLOOR_S:.2f} × the floor of the per-minute tick "
            f"({TICK_FLOOR_S:.0f} s: an instant due just after a tick waits for the next)"
        )
    lines.append(
        "  notices written by kind (pushes sent): "
        + ", ".join(f"{kind} {notices} ({sent})" for kind, notices, sent in lag.notices)
    )
    pushes = prometheus.range('sum(rate(fitnudge_pushes_total{outcome="accepted"}[30s]))', window.start, end)
    outcome_totals = prometheus.range("sum by (outcome) (increase(fitnudge_pushes_total[1d]))", end, end)
    peak = max((v for s in pushes for _, v in s.points), default=0)
    lines.append(
        f"  peak accepted pushes/s (30 s rate): {peak:.0f}; outcomes "
        + ", ".join(f"{s.labels.get('outcome')} {s.points[-1][1]:.0f}" for s in outcome_totals if s.points)
    )
    counted = prometheus.range(
        f"sum by (periodic_job, count) (increase(fitnudge_job_counts_total[{run_s}s]))",
        end,
        end,
    )
    per_job: defaultdict[str, list[str]] = defaultdict(list)
    for job_series in counted:
        value = job_series.points[-1][1] if job_series.points else 0.0
        if value >= 0.5:
            per_job[job_series.labels["periodic_job"]].append(f"{job_series.labels['count']} {value:.0f}")
    lines.append("Job counts over the run (Prometheus increase, so ±1 run at the edges):")
    lines += [f"  {job}: {', '.join(sorted(counts))}" for job, counts in sorted(per_job.items())]
    depth = _peak(prometheus.range("max by (queue) (fitnudge_queue_depth)", window.start, end))
    delayed = _peak(prometheus.range("max by (queue) (fitnudge_queue_delayed)", window.start, end))
    lines.append("Queue depth peaks: " + ", ".join(f"{q} {v:.0f}" for q, v in sorted(depth.items()) if v))
    lines.append("Delayed peaks: " + ", ".join(f"{q} {v:.0f}" for q, v in sorted(delayed.items()) if v))
    due_lag = _peak(prometheus.range("max by (periodic_job) (fitnudge_due_lag_seconds)", window.start, end))
    lines.append("Due-index lag peaks: " + ", ".join(f"{j} {v:.0f} s" for j, v in sorted(due_lag.items())))
    lines.append("Alert rules (ops/prometheus/alerts.yml) against this run's metrics:")
    for verdict in verdicts:
        state = "FIRING" if verdict.firing else "pending" if verdict.pending else "quiet"
        lines.append(
            f"  {verdict.name:<28} {verdict.severity:<8} {state:<7} "
            f"expression true {verdict.expression_true_s:.0f} s"
            + (f" ({'; '.join(verdict.where)})" if verdict.where else "")
        )
    return "\n".join(lines)


def draw(
    path: Path, outcomes: Outcomes, lag: PushLag, prometheus: Prometheus, window: Window, end: datetime
) -> None:
    start_s = window.start.timestamp()

    def minutes(points: list[tuple[float, float]]) -> tuple[list[float], list[float]]:
        return [(t - start_s) / 60 for t, _ in points], [v for _, v in points]

    figure, (rates, queues, lags) = plt.subplots(3, 1, figsize=(11, 10), sharex=True)
    for series in prometheus.range(
        'sum(rate(fitnudge_pushes_total{outcome="accepted"}[30s]))', window.start, end
    ):
        rates.plot(*minutes(series.points), label="pushes accepted by Expo /s")
    per_second: defaultdict[int, int] = defaultdict(int)
    for answered_s, *_ in outcomes.answers:
        per_second[int(answered_s // 10)] += 1
    buckets = sorted(per_second)
    rates.plot([b * 10 / 60 for b in buckets], [per_second[b] / 10 for b in buckets], label="API answers /s")
    rates.set_ylabel("per second")
    rates.legend(loc="upper left")
    for series in prometheus.range("max by (queue) (fitnudge_queue_depth)", window.start, end):
        if any(v for _, v in series.points):
            queues.plot(*minutes(series.points), label=series.labels.get("queue", "?"))
    queues.set_ylabel("messages waiting")
    queues.legend(loc="upper left", fontsize="small")
    if lag.timeline:
        lags.scatter(
            [t / 60 for t, _ in lag.timeline],
            [v for _, v in lag.timeline],
            s=1,
            alpha=0.2,
            label="push lag (each push)",
        )
    for series in prometheus.range("max(fitnudge_due_lag_seconds)", window.start, end):
        lags.plot(*minutes(series.points), color="red", label="due-index lag (oldest overdue row)")
    lags.set_ylabel("seconds behind due")
    lags.set_xlabel(f"minutes of the run (1 min = {window.factor:g} min of the day)")
    lags.legend(loc="upper left")
    figure.suptitle("FitNudge: a day in the life, compressed")
    figure.tight_layout()
    figure.savefig(path, dpi=100)
    plt.close(figure)
