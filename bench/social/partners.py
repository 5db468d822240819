"""Partner reads over real HTTP: GET /partners?include_today_goals=true and GET
/partners/{partner}/dashboard, as ratios to the raw-asyncpg PK route of the API benchmark (bench/api),
measured the same way in the same run; the home dashboard of the API benchmark runs too, as a base.

    python -m bench.social.partners [--users 10000] [--duration 10] [--connections 64] [--warmup 3]

Every seeded user (UTC, 3 daily goals with today's pending rows, as bench/api seeds them) has one
accepted partner, so each list holds one partner with three goals and each dashboard three goals. Uses
its own scratch database (created, migrated, dropped) on the server of DATABASE_URL.
"""

from __future__ import annotations

import argparse
import asyncio
import tempfile
from collections.abc import Callable
from pathlib import Path

import asyncpg

from bench.api.run import (
    WARMUP_USERS,
    Result,
    ensure_wrk,
    issue_tokens,
    migrated_scratch_database,
    run_scenario,
    start_server,
    stop_server,
)
from bench.api.seed import seed

# Pairs neighbours in id order: users 1–2, 3–4, … become accepted partners.
PAIR_SQL = """
WITH numbered AS (SELECT id, row_number() OVER (ORDER BY id) AS n FROM users)
INSERT INTO accountability_partners (user_id, partner_user_id, initiated_by_user_id, status, accepted_at)
SELECT a.id, b.id, a.id, 'accepted', now()
FROM numbered a JOIN numbered b ON b.n = a.n + 1
WHERE a.n % 2 = 1
RETURNING user_id, partner_user_id
"""

Pairs = list[tuple[str, str]]  # (user, their partner), both directions


async def seed_pairs(dsn: str, users: int) -> Pairs:
    await seed(dsn, users, 3)
    connection = await asyncpg.connect(dsn)
    try:
        rows = await connection.fetch(PAIR_SQL)
        await connection.execute("ANALYZE")
    finally:
        await connection.close()
    pairs: Pairs = []
    for row in rows:
        a, b = str(row["user_id"]), str(row["partner_user_id"])
        pairs += [(a, b), (b, a)]
    return pairs


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--users", type=int, default=10_000)
    parser.add_argument("--duration", type=int, default=10)
    parser.add_argument("--connections", type=int, default=64)
    parser.add_argument("--port", type=int, default=8766)
    parser.add_argument("--warmup", type=int, default=3)
    args = parser.parse_args()

    wrk = ensure_wrk()
    with migrated_scratch_database("fitnudge_bench_partners") as scratch:
        pairs = asyncio.run(seed_pairs(scratch.dsn, args.users + WARMUP_USERS))
        tokens = issue_tokens([user for user, _ in pairs])
        results = benchmark(wrk, scratch.env, args, pairs[: args.users], pairs[args.users :], tokens)
    report(results)


def benchmark(
    wrk: str,
    env: dict[str, str],
    args: argparse.Namespace,
    pairs: Pairs,
    warmup: Pairs,
    tokens: dict[str, str],
) -> dict[str, Result]:
    base = f"http://127.0.0.1:{args.port}"
    results: dict[str, Result] = {}

    def pk_lines(of: Pairs) -> list[str]:
        return [f"GET\t/pk/{user}\t{tokens[user]}\t" for user, _ in of]

    def home_lines(of: Pairs) -> list[str]:
        return [f"GET\t/api/v1/home/dashboard\t{tokens[user]}\t" for user, _ in of]

    def list_lines(of: Pairs) -> list[str]:
        return [f"GET\t/api/v1/partners?include_today_goals=true\t{tokens[user]}\t" for user, _ in of]

    def dashboard_lines(of: Pairs) -> list[str]:
        return [f"GET\t/api/v1/partners/{partner}/dashboard\t{tokens[user]}\t" for user, partner in of]

    with tempfile.TemporaryDirectory() as scratch:
        directory = Path(scratch)

        def measure(key: str, name: str, lines: Callable[[Pairs], list[str]]) -> None:
            results[key] = run_scenario(
                wrk, directory, args, key=key, name=name, url=base, lines=lines, warmup=warmup, measured=pairs
            )

        server = start_server("bench.api.ceiling_app:create_app", args.port, env)
        try:
            measure("pk", "ceiling (b) asyncpg PK", pk_lines)
        finally:
            stop_server(server)
        server = start_server("api.app:create_app", args.port, env)
        try:
            measure("list", "GET /partners +today", list_lines)
            measure("dashboard", "GET /partners/{id}/dashboard", dashboard_lines)
            # Last, so the partner routes never meet a user whose access state it already cached.
            measure("home", "GET /home/dashboard (base)", home_lines)
        finally:
            stop_server(server)
    return results


def report(results: dict[str, Result]) -> None:
    for result in results.values():
        print(
            f"{result.name:30s} {result.requests_per_second:9.0f} req/s  p50 {result.p50_ms:6.1f} ms  "
            f"p99 {result.p99_ms:6.1f} ms  non-2xx {result.non_2xx}"
        )
    for key in ("home", "list", "dashboard"):
        result = results[key]
        print(f"{result.name}: {result.requests_per_second / results['pk'].requests_per_second:.2f} of (b)")


if __name__ == "__main__":
    main()
