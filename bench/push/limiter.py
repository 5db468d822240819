"""The push limiter alone: how close two processes sharing one budget get to it.

    python -m bench.push.limiter [--budget 600] [--seconds 10]

Two OS processes (one on the async API, one on the sync API) take permits from one Redis key as fast
as the limiter lets them, once in full batches of 100 and once in batches mixed with odd sizes. Prints
the permits per sliding second as a ratio to the budget, the ceiling of this run (the limiter's own
ceiling is 1 / (1 s + margin) = 0.995 at the default 5 ms margin; these senders send nothing, so they
never settle a grant), and the most permits seen in any sliding second, which must never pass the
budget.
"""

from __future__ import annotations

import argparse
import json
import os

from bench.push.limiter_senders import (
    Sender,
    max_permits_in_any_window,
    mean_permits_per_sliding_second,
    run_senders,
)

SCENARIOS: dict[str, list[Sender]] = {
    "full batches": [("async", "100"), ("sync", "100")],
    "odd sizes": [("async", "100,37,100,1,100,99"), ("sync", "63,100,5,100,73,100")],
}


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--budget", type=int, default=600)
    parser.add_argument("--seconds", type=float, default=10.0)
    args = parser.parse_args()
    redis_url = os.environ.get("REDIS_URL", "redis://127.0.0.1:6379/0")
    # One scenario at a time: run side by side they would compete for the two cores.
    for scenario, senders in SCENARIOS.items():
        run = run_senders(redis_url, args.budget, args.seconds, {scenario: senders})[scenario]
        mean = mean_permits_per_sliding_second(run.grants)
        print(
            json.dumps(
                {
                    "scenario": scenario,
                    "budget_per_s": args.budget,
                    "mean_per_sliding_second": round(mean, 1),
                    "ratio_to_budget": round(mean / args.budget, 4),
                    "peak_in_any_sliding_second": max_permits_in_any_window(run.grants, 1_000_000),
                    "grants_per_process": run.grants_per_process,
                }
            )
        )


if __name__ == "__main__":
    main()
