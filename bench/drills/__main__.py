"""Fault drills against the real processes: lost, duplicated and time to recover, per drill.

    python -m bench.drills [DRILL ...] [--pushes 20000] [--redis-db 14] [--timeout 900] [--logs DIR]

Drills (default: all, in this order): kill-worker, outage, after-accept, redis-flush,
second-scheduler, restart-system, restart-postgres. A baseline without a fault runs first: the
table's "vs baseline" column is each drill's fan-out time minus its. Every run starts a private
PostgreSQL cluster (tools/pg_cluster.py) and uses a Redis database of its own, which must be empty
(the Redis drill flushes it). Prints the Markdown table of BENCHMARKS.md "Fault drills".
"""

from __future__ import annotations

import argparse
import os
import signal
import sys
import tempfile
import traceback
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

import redis

from tools.pg_cluster import private_cluster

# The order and names of bench/drills/faults.py DRILLS, which cannot be imported before the cluster is up.
DRILL_NAMES = (
    "kill-worker",
    "outage",
    "after-accept",
    "redis-flush",
    "second-scheduler",
    "restart-system",
    "restart-postgres",
)


def drill_redis_url(db: int) -> str:
    """REDIS_URL's server, database `db`, which must be empty: the drills flush it."""
    if db == 0:
        raise SystemExit("--redis-db 0 is the shared default database: choose another")
    parts = urlsplit(os.environ.get("REDIS_URL", "redis://127.0.0.1:6379/0"))
    url = urlunsplit((parts.scheme, parts.netloc, f"/{db}", parts.query, parts.fragment))
    with redis.Redis.from_url(url) as client:
        if client.dbsize():
            raise SystemExit(f"Redis database {db} is not empty: the drills flush it, choose an empty one")
    return url


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("drills", nargs="*", metavar="DRILL", help=", ".join(DRILL_NAMES))
    parser.add_argument("--pushes", type=int, default=20_000)
    parser.add_argument("--redis-db", type=int, default=14)
    parser.add_argument("--timeout", type=float, default=900.0, help="seconds to wait for nothing pending")
    parser.add_argument(
        "--logs", type=Path, help="keep the processes' logs there (default: a temporary directory)"
    )
    args = parser.parse_args()
    # A TERM (a timeout, Ctrl-C's sibling) unwinds like an exception: the processes and the cluster stop.
    signal.signal(signal.SIGTERM, lambda signum, frame: sys.exit(128 + signum))
    if unknown := set(args.drills) - set(DRILL_NAMES):
        parser.error(f"unknown drills: {', '.join(sorted(unknown))}")
    os.environ["REDIS_URL"] = drill_redis_url(args.redis_db)
    with private_cluster() as cluster, tempfile.TemporaryDirectory() as scratch_logs:
        os.environ["DATABASE_URL"] = cluster.url
        # Imported only now (and nothing above imports the project): bench.push.common points the run at
        # a scratch database on DATABASE_URL's server when it is first imported.
        from bench.drills.faults import BASELINE, DRILLS
        from bench.drills.report import header, line
        from bench.drills.run import run_drill_in_loop

        drills = [BASELINE, *(DRILLS[name] for name in args.drills or DRILL_NAMES)]

        logs = args.logs or Path(scratch_logs)
        print(f"{args.pushes:,} pushes, logs in {logs}\n\n{header()}", flush=True)
        baseline = None
        for drill in drills:
            try:
                result = run_drill_in_loop(
                    drill, pushes=args.pushes, cluster=cluster, timeout_s=args.timeout, logs=logs
                )
            except Exception as error:  # one drill's failure is a finding; the next ones still run
                traceback.print_exc()
                print(f"| {drill.name} | failed: {error!r} |", flush=True)
                continue
            baseline = baseline or result
            print(line(drill, result, baseline), flush=True)


if __name__ == "__main__":
    main()
