"""At the cap: N deliveries through P worker processes against the sandbox at 600/s.

    python -m bench.push.at_cap [--deliveries 20000] [--budget 600] [--processes 2] [--threads 4]

The workers take the limiter's margin from EXPO_RATE_LIMIT_MARGIN_MS like any deployment.

Prints the accepted rate as a ratio to the cap (the sandbox's limit = our budget, the ceiling of this
run), the sandbox's peak in any sliding second, 429s, duplicates and lost notifications, and the
box's load average before and after the run (the figures move with it).
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import statistics
import tempfile
from pathlib import Path

from bench.push import common  # first project import: it points the run at its scratch database
from settings import get_settings


async def run(
    deliveries: int, budget: int, processes: int, threads: int, log_dir: str | None
) -> dict[str, object]:
    load_before = os.getloadavg()[0]
    async with common.scratch_engine() as database:
        seeded = await common.seed(database, deliveries)
        with (
            common.warm_sandbox(rate_limit_per_second=budget) as sandbox,
            tempfile.TemporaryDirectory() as logs,
        ):
            log = Path(log_dir or logs) / "workers.log"
            with common.push_workers(
                base_url=sandbox.base_url, budget=budget, processes=processes, threads=threads, log=log
            ):
                common.kick(times=2)
                wall = await common.wait_until_delivered(database, timeout_s=deliveries / budget * 3 + 60)
            stats = sandbox.project_stats()
            received = sorted(entry["received_at"] for entry in sandbox.messages(limit=1_000_000))
            lost, doubled = common.lost_and_doubled(sandbox, seeded.notification_ids)
        common.clear_redis_state()
    # Rate between the first and the last accepted batch (the last batch's recipients arrive at its
    # instant, so they are not part of the span).
    first, last = received[0], received[-1]
    last_batch = sum(1 for moment in received if moment == last)
    span_rate = (stats["recipients_accepted"] - last_batch) / (last - first)
    # Steady state: whole seconds of the sandbox's per-second counts, without the first and last.
    per_second = [count for _, count in stats["accepted_per_second"]][1:-1]
    return {
        "deliveries": deliveries,
        "budget_per_s": budget,
        "processes": processes,
        "limiter_margin_ms": get_settings().expo_rate_limit_margin_ms,
        "accepted": stats["recipients_accepted"],
        "accepted_rate_per_s": round(span_rate, 1),
        "ratio_to_cap": round(span_rate / budget, 4),
        "steady_mean_per_s": round(statistics.mean(per_second), 1) if per_second else None,
        "steady_min_per_s": min(per_second) if per_second else None,
        "peak_rate_1s": stats["peak_rate_1s"],
        "http_429": stats["send_requests"]["by_status"]["429"],
        "duplicates_sandbox": stats["duplicate_notifications"],
        "doubled": doubled,
        "lost": lost,
        "max_concurrent_requests": stats["max_concurrent_requests"],
        "wall_seconds_kick_to_all_sent": round(wall, 2),
        "seed_seconds": round(seeded.seconds, 2),
        "load_average_1m_before_after": [round(load_before, 2), round(os.getloadavg()[0], 2)],
    }


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--deliveries", type=int, default=20_000)
    parser.add_argument("--budget", type=int, default=600)
    parser.add_argument("--processes", type=int, default=2, help="worker processes (dramatiq -p)")
    parser.add_argument("--threads", type=int, default=4)
    parser.add_argument("--log-dir", help="keep the workers' log there (default: a temporary directory)")
    args = parser.parse_args()
    result = asyncio.run(run(args.deliveries, args.budget, args.processes, args.threads, args.log_dir))
    print(json.dumps(result, indent=2))


if __name__ == "__main__":
    main()
