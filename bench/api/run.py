"""API benchmark: check-in POST and home dashboard GET over real HTTP, as ratios to two ceilings
served the same way in the same run (a bare Litestar JSON route; one PK SELECT via raw asyncpg).

    python -m bench.api.run [--users 10000] [--duration 10] [--connections 64] [--warmup 3]

Uses its own scratch database (created, migrated, dropped) on the server of DATABASE_URL; installs
wrk from Debian when missing. Prints one line per scenario and the ratios.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import re
import subprocess
import sys
import tempfile
import time
import uuid
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import TypeVar
from urllib.parse import urlsplit, urlunsplit

import asyncpg
import httpx

from bench.api.seed import seed
from bench.api.wrk_scripts import write_script
from bench.debian_tools import ensure_command

REPO_ROOT = Path(__file__).resolve().parents[2]
BIN = Path(sys.executable).parent
WRK_THREADS = 2
# Users seeded only for the warm-up passes, so every measured request is still its user's first.
WARMUP_USERS = 2_000
SERVER_START_TIMEOUT_SECONDS = 30


@dataclass(frozen=True)
class Result:
    name: str
    requests_per_second: float
    p50_ms: float
    p99_ms: float
    non_2xx: int


def scratch_url(base: str, name: str) -> str:
    parts = urlsplit(base)
    return urlunsplit((parts.scheme, parts.netloc, f"/{name}", "", ""))


@dataclass(frozen=True)
class ScratchDatabase:
    dsn: str  # for asyncpg (the seeders)
    env: dict[str, str]  # for the server processes


async def _admin(admin_dsn: str, statement: str) -> None:
    connection = await asyncpg.connect(admin_dsn)
    try:
        await connection.execute(statement)
    finally:
        await connection.close()


@contextmanager
def migrated_scratch_database(prefix: str) -> Iterator[ScratchDatabase]:
    """A database of its own on the server of DATABASE_URL, migrated, and the environment the API
    servers run with; dropped afterwards. This process reads the same settings: it signs the tokens."""
    base_url = os.environ.get("DATABASE_URL", "postgresql+asyncpg://postgres@127.0.0.1:5432/fitnudge")
    database_name = f"{prefix}_{uuid.uuid4().hex[:6]}"
    database_url = scratch_url(base_url, database_name)
    admin_dsn = scratch_url(base_url, "postgres").replace("postgresql+asyncpg://", "postgresql://", 1)
    env = {
        **os.environ,
        "DATABASE_URL": database_url,
        "APP_ENV": "dev",
        "AUTH_RATE_LIMIT_PER_MINUTE": "0",
        "JWT_SECRET": os.environ.get("JWT_SECRET", "bench-secret-0123456789abcdef-0123456789"),
    }
    os.environ.update({key: env[key] for key in ("APP_ENV", "DATABASE_URL", "JWT_SECRET")})
    asyncio.run(_admin(admin_dsn, f'CREATE DATABASE "{database_name}"'))
    try:
        subprocess.run(
            [str(BIN / "alembic"), "upgrade", "head"], cwd=REPO_ROOT, env=env, check=True, capture_output=True
        )
        yield ScratchDatabase(database_url.replace("postgresql+asyncpg://", "postgresql://", 1), env)
    finally:
        asyncio.run(_admin(admin_dsn, f'DROP DATABASE IF EXISTS "{database_name}" WITH (FORCE)'))


def ensure_wrk() -> str:
    return ensure_command("wrk")


def latency_ms(text: str) -> float:
    number, unit = re.match(r"([\d.]+)(us|ms|s)", text).groups()  # type: ignore[union-attr]
    return float(number) * {"us": 0.001, "ms": 1.0, "s": 1000.0}[unit]


def run_wrk(wrk: str, name: str, url: str, script: Path | None, connections: int, duration: int) -> Result:
    command = [wrk, f"-t{WRK_THREADS}", f"-c{connections}", f"-d{duration}s", "--latency", url]
    if script:
        command[1:1] = ["-s", str(script)]
    completed = subprocess.run(command, capture_output=True, text=True, check=True)
    output = completed.stdout
    if "Requests/sec" not in output or "Latency Distribution" not in output:
        raise SystemExit(f"wrk gave no figures for {name}:\n{output}\n{completed.stderr}")
    rps = float(re.search(r"Requests/sec:\s+([\d.]+)", output).group(1))  # type: ignore[union-attr]
    # Anchored to the start of a line: the thread stats above also end in percentages ("75.50%").
    p50 = latency_ms(re.search(r"^\s+50%\s+(\S+)", output, re.M).group(1))  # type: ignore[union-attr]
    p99 = latency_ms(re.search(r"^\s+99%\s+(\S+)", output, re.M).group(1))  # type: ignore[union-attr]
    non_2xx_match = re.search(r"Non-2xx or 3xx responses: (\d+)", output)
    return Result(name, rps, p50, p99, int(non_2xx_match.group(1)) if non_2xx_match else 0)


RowT = TypeVar("RowT")


def run_scenario(
    wrk: str,
    directory: Path,
    args: argparse.Namespace,
    *,
    key: str,
    name: str,
    url: str,
    lines: Callable[[list[RowT]], list[str]] | None,
    warmup: list[RowT],
    measured: list[RowT],
) -> Result:
    """`args.warmup` seconds on the warm-up rows first (a fresh server's first seconds build caches and
    open statements), then `args.duration` seconds measured on rows it has not seen yet."""
    passes = (("warm-up", warmup, args.warmup), ("measured", measured, args.duration))
    result: Result | None = None
    for label, of, seconds in passes:
        script = write_script(directory, f"{key}-{label}", lines(of), WRK_THREADS) if lines else None
        result = run_wrk(wrk, name, url, script, args.connections, seconds)
    assert result is not None
    return result


def start_server(
    app_factory: str, port: int, env: dict[str, str], probe_path: str | None = None
) -> subprocess.Popen[bytes]:
    """Serve the factory like the Procfile's web process; ready once `probe_path` answers 200 (by
    default /health/live for the real app, /bare for the ceiling app)."""
    probe = probe_path or ("/health/live" if "api.app" in app_factory else "/bare")
    workers = env.get("WEB_CONCURRENCY", "2")
    command = [
        str(BIN / "uvicorn"),
        "--factory",
        app_factory,
        "--host",
        "127.0.0.1",
        "--port",
        str(port),
        "--workers",
        workers,
        "--loop",
        "uvloop",
        "--http",
        "httptools",
        "--no-access-log",
        "--no-proxy-headers",
        "--log-level",
        "warning",
    ]
    process = subprocess.Popen(command, cwd=REPO_ROOT, env=env, start_new_session=True)
    deadline = time.monotonic() + SERVER_START_TIMEOUT_SECONDS
    while time.monotonic() < deadline:
        try:
            if httpx.get(f"http://127.0.0.1:{port}{probe}", timeout=1).status_code == 200:
                return process
        except httpx.HTTPError:
            time.sleep(0.2)
    process.kill()
    raise SystemExit(f"{app_factory} did not start")


def stop_server(process: subprocess.Popen[bytes]) -> None:
    os.killpg(process.pid, 15)
    process.wait(timeout=20)


def issue_tokens(user_ids: list[str]) -> dict[str, str]:
    from api.auth.jwt import build_jwt_auth, issue_access_token
    from db.users import TokenSubject
    from settings import get_settings

    auth = build_jwt_auth(get_settings())
    # Seeded accounts are at the first token version.
    return {
        user_id: issue_access_token(auth, TokenSubject(user_id=uuid.UUID(user_id), token_version=0))
        for user_id in user_ids
    }


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--users", type=int, default=10_000)
    parser.add_argument("--goals-per-user", type=int, default=3)
    parser.add_argument("--duration", type=int, default=10)
    parser.add_argument("--connections", type=int, default=64)
    parser.add_argument("--port", type=int, default=8765)
    parser.add_argument(
        "--warmup", type=int, default=3, help="seconds of load on other users before each measured scenario"
    )
    args = parser.parse_args()

    wrk = ensure_wrk()
    with migrated_scratch_database("fitnudge_bench_api") as scratch:
        seeded = asyncio.run(seed(scratch.dsn, args.users + WARMUP_USERS, args.goals_per_user))
        tokens = issue_tokens([user_id for user_id, _ in seeded])
        results = benchmark(wrk, scratch.env, args, seeded[: args.users], seeded[args.users :], tokens)
    report(results)


Users = list[tuple[str, list[str]]]


def benchmark(
    wrk: str,
    env: dict[str, str],
    args: argparse.Namespace,
    users: Users,
    warmup_users: Users,
    tokens: dict[str, str],
) -> dict[str, Result]:
    """Each scenario runs `args.warmup` seconds on the warm-up users first (a fresh server's first
    seconds build caches and open statements), then is measured on users it has not seen yet."""
    base = f"http://127.0.0.1:{args.port}"
    results: dict[str, Result] = {}

    def pk_lines(of: Users) -> list[str]:
        return [f"GET\t/pk/{user_id}\t{tokens[user_id]}\t" for user_id, _ in of]

    def home_lines(of: Users) -> list[str]:
        return [f"GET\t/api/v1/home/dashboard\t{tokens[user_id]}\t" for user_id, _ in of]

    def checkin_lines(of: Users) -> list[str]:
        return [
            f"POST\t/api/v1/check-ins\t{tokens[user_id]}\t"
            + json.dumps({"goal_id": goal_id, "completed": True})
            for user_id, goal_ids in of
            for goal_id in goal_ids
        ]

    with tempfile.TemporaryDirectory() as scratch:
        directory = Path(scratch)

        def measure(key: str, name: str, url: str, lines: Callable[[Users], list[str]] | None) -> None:
            results[key] = run_scenario(
                wrk,
                directory,
                args,
                key=key,
                name=name,
                url=url,
                lines=lines,
                warmup=warmup_users,
                measured=users,
            )

        server = start_server("bench.api.ceiling_app:create_app", args.port, env)
        try:
            measure("bare", "ceiling (a) bare JSON", f"{base}/bare", None)
            measure("pk", "ceiling (b) asyncpg PK", base, pk_lines)
        finally:
            stop_server(server)
        server = start_server("api.app:create_app", args.port, env)
        try:
            measure("home", "GET /home/dashboard", base, home_lines)
            measure("checkin", "POST /check-ins", base, checkin_lines)
        finally:
            stop_server(server)
    return results


def report(results: dict[str, Result]) -> None:
    for result in results.values():
        print(
            f"{result.name:24s} {result.requests_per_second:9.0f} req/s  p50 {result.p50_ms:6.1f} ms  "
            f"p99 {result.p99_ms:6.1f} ms  non-2xx {result.non_2xx}"
        )
    for key in ("home", "checkin"):
        result = results[key]
        print(
            f"{result.name}: {result.requests_per_second / results['pk'].requests_per_second:.2f} of (b), "
            f"{result.requests_per_second / results['bare'].requests_per_second:.2f} of (a)"
        )


if __name__ == "__main__":
    main()
