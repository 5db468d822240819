"""A day in the life: 100,000 users across time zones, their coming day compressed into 30 minutes,
every process type live, real API traffic, the Expo sandbox at the real limit, a real Prometheus
evaluating the repository's alert rules.

    python -m bench.day [--users 100000] [--minutes 30] [--png docs/images/day-in-the-life.png]

1. A scratch database (created, migrated, dropped) and Dramatiq namespace of the run's own; the
   population of bench/day/population.py, its reminder slots, morning instants and today's pending
   check-ins set by the app's own rules for the seeding instant, then the next 24 hours of due
   instants compressed into the window (`--minutes`; 30 = 48× faster than a real day).
2. The Procfile's processes as deployed: web (uvicorn, WEB_CONCURRENCY), worker (the supervisor,
   WORKER_PROCESSES × WORKER_THREADS), scheduler (periodiq on the real clock); the Expo sandbox
   answering at Expo's 600/s limit with 150 ± 50 ms latency; Prometheus scraping all three every 5 s.
3. The load generator (bench/day/load.py) plays the users' requests at their planned instants.
4. After the window, the run waits for the pushes to drain, then prints per-route p50/p99, push lag
   behind the due instant, queue peaks, error rate and the alert verdicts, and draws the PNG.

Everything runs on this one machine, so the figures are those of one 2-core box running all of it.
"""

from __future__ import annotations

from bench.scheduling.scratch import ScratchEnvironment, use_scratch_environment
from tools.ports import free_port

SCRATCH: ScratchEnvironment = use_scratch_environment("day")

import argparse  # noqa: E402
import asyncio  # noqa: E402
import os  # noqa: E402
import sys  # noqa: E402
import tempfile  # noqa: E402
import time  # noqa: E402
from datetime import UTC, datetime, timedelta  # noqa: E402
from pathlib import Path  # noqa: E402

import asyncpg  # noqa: E402

os.environ.setdefault("JWT_SECRET", "bench-secret-0123456789abcdef-0123456789")
os.environ["AUTH_RATE_LIMIT_PER_MINUTE"] = "0"
# The app refreshes its 15-minute access token; the player does not, so its tokens outlive the run.
os.environ["ACCESS_TOKEN_TTL_SECONDS"] = str(6 * 3600)

from bench.api.run import issue_tokens, start_server, stop_server  # noqa: E402
from bench.day.load import plan, play  # noqa: E402
from bench.day.population import (  # noqa: E402
    COMPRESSED_DAY,
    Window,
    apply_app_rules,
    compress,
    seed_population,
    user_ids,
)
from bench.day.prometheus import SCRAPE_INTERVAL_S, Targets, running_prometheus  # noqa: E402
from bench.day.report import draw, push_lag, record_due, text_report  # noqa: E402
from bench.scheduling.scratch import REPO_ROOT, asyncpg_dsn, scratch_database  # noqa: E402
from db.engine import create_engine  # noqa: E402
from sandbox.expo.testing import sandbox_process  # noqa: E402
from services.messages import MessageSender  # noqa: E402
from services.progress import countdown  # noqa: E402
from services.transaction import EngineDatabase  # noqa: E402
from settings import get_settings  # noqa: E402
from tests.support.processes import procfile_command, running  # noqa: E402

# The plan, the tokens and the processes' boot happen between compressing and the window's start.
LEAD_BASE = timedelta(seconds=30)
LEAD_PER_1000_USERS = timedelta(seconds=1)
DRAIN_TIMEOUT_S = 600
# The per-minute jobs' tick after the window's last instant (periodiq fires at second 0).
LAST_TICK = timedelta(seconds=65)


async def prepare(users: int, minutes: float, seed: int) -> Window:
    """Seed, apply the app's rules for now, compress the coming day into the window, record its due
    instants."""
    dsn = asyncpg_dsn(SCRATCH.database_url)
    connection = await asyncpg.connect(dsn)
    try:
        await seed_population(connection, users, seed=seed)
    finally:
        await connection.close()
    seeded_at = datetime.now(UTC)
    settings = get_settings()
    engine = create_engine(SCRATCH.database_url, process_name="bench-day", pool_size=4, max_overflow=0)
    database = EngineDatabase(engine, MessageSender.to_redis(settings.redis_url, settings.dramatiq_namespace))
    try:
        await apply_app_rules(database, await user_ids(database), now=seeded_at)
    finally:
        await engine.dispose()
    # Today's pending rows, by the job itself (the scheduler is not running yet).
    precreate = await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        "workers.run_job",
        "checkins.precreate",
        "--now",
        seeded_at.isoformat(),
        cwd=REPO_ROOT,
    )
    if await precreate.wait() != 0:
        raise RuntimeError("checkins.precreate failed")
    window = Window(
        seeded_at,
        datetime.now(UTC) + LEAD_BASE + LEAD_PER_1000_USERS * users / 1000,
        COMPRESSED_DAY / timedelta(minutes=minutes),
    )
    connection = await asyncpg.connect(dsn)
    try:
        await compress(connection, window)
    finally:
        await connection.close()
    await record_due(dsn)
    return window


async def drain(dsn: str, window: Window, timeout_s: float) -> None:
    """Until the scheduler has ticked past the window's last due instant and no push is pending."""
    connection = await asyncpg.connect(dsn)
    try:

        async def pending() -> int:
            count: int = await connection.fetchval(
                "SELECT count(*) FROM push_deliveries WHERE status = 'pending'"
            )
            return count

        await asyncio.sleep(max(0.0, (window.end + LAST_TICK - datetime.now(UTC)).total_seconds()))
        deadline = time.monotonic() + timeout_s
        left = await pending()
        with countdown(left, what="draining", unit="push") as show:
            while left and time.monotonic() < deadline:
                show(left)
                await asyncio.sleep(1)
                left = await pending()
    finally:
        await connection.close()


async def run(args: argparse.Namespace) -> None:
    async with scratch_database(SCRATCH):
        window = await prepare(args.users, args.minutes, args.seed)
        dsn = asyncpg_dsn(SCRATCH.database_url)
        planned = await plan(dsn, window)
        tokens = issue_tokens(sorted({request.user_id for request in planned}))
        web_port, worker_port, scheduler_port = free_port(), free_port(), free_port()
        with (
            tempfile.TemporaryDirectory() as scratch_dir,
            sandbox_process(latency_ms=150, latency_jitter_ms=50, message_log_size=1_000) as expo_url,
        ):
            directory = Path(scratch_dir)
            logs = args.logs or directory
            logs.mkdir(parents=True, exist_ok=True)
            env = {
                **os.environ,
                "EXPO_PUSH_URL": expo_url,
                "WEB_CONCURRENCY": str(args.web_processes),
                "WORKER_PROCESSES": str(args.worker_processes),
                "WORKER_THREADS": str(args.worker_threads),
                "WORKER_METRICS_PORT": str(worker_port),
                "SCHEDULER_METRICS_PORT": str(scheduler_port),
                "METRICS_DIR": str(directory / "metrics"),
                # Five processes share the server with whatever else runs there.
                "DB_POOL_SIZE": "10",
            }
            targets = Targets(
                f"127.0.0.1:{web_port}", f"127.0.0.1:{worker_port}", f"127.0.0.1:{scheduler_port}"
            )
            with running_prometheus(targets, directory, free_port()) as prometheus:
                server = start_server("api.app:create_app", web_port, env)
                try:
                    with (
                        running(procfile_command("worker"), env=env, log=logs / "worker.log"),
                        running(procfile_command("scheduler"), env=env, log=logs / "scheduler.log"),
                    ):
                        outcomes = await play(f"http://127.0.0.1:{web_port}", planned, tokens, window)
                        await drain(dsn, window, DRAIN_TIMEOUT_S)
                        # Two more scrapes, so the last pushes and queue depths are in the series.
                        await asyncio.sleep(2 * SCRAPE_INTERVAL_S)
                        end = datetime.now(UTC)
                finally:
                    stop_server(server)
                lag = await push_lag(dsn, window)
                verdicts = prometheus.alert_verdicts(window.start, end)
                print(text_report(outcomes, lag, prometheus, verdicts, window, end))
                args.png.parent.mkdir(parents=True, exist_ok=True)
                draw(args.png, outcomes, lag, prometheus, window, end)
                print(f"PNG: {args.png}")


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--users", type=int, default=100_000)
    parser.add_argument("--minutes", type=float, default=30, help="the window a day is compressed into")
    parser.add_argument("--png", type=Path, default=REPO_ROOT / "docs" / "images" / "day-in-the-life.png")
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--logs", type=Path, help="keep the processes' logs here (default: discarded)")
    parser.add_argument("--web-processes", type=int, default=2)
    parser.add_argument("--worker-processes", type=int, default=2)
    parser.add_argument("--worker-threads", type=int, default=8)
    asyncio.run(run(parser.parse_args()))


if __name__ == "__main__":
    main()
