"""1,000 participants of one challenge checking in at once, over real HTTP, for the design in use
(ranks derived when read) and the design not taken (a stored set-wise rank UPDATE of the whole
challenge after each check-in, bench/challenges/stored_ranks_app.py), as ratios to a ceiling served
the same way in the same run: the same number of plain single-row INSERTs of a check-in (raw asyncpg,
bench/challenges/ceiling_app.py).

    python -m bench.challenges.checkins [--participants 1000] [--rounds 3] [--connections 1000]

Each round is a burst: every participant of a fresh challenge sends its one check-in of the day, all
at once (up to `--connections` in flight), by bench/challenges/burst.py (wrk repeats requests for a
duration; a check-in goes once per participant and day). A warm-up round on its own challenge precedes each
design's measured rounds. After every round the leaderboard is read back through the API (every page)
and compared with ranks computed here from the stored points (1 + how many have more); for the stored
design the rank column is compared too. Uses its own scratch database (created, migrated, dropped) on
the server of DATABASE_URL, and the web process of the Procfile (uvicorn, WEB_CONCURRENCY workers).
"""

from __future__ import annotations

import argparse
import asyncio
import statistics
import uuid
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass
from typing import Final

import asyncpg
import httpx

from bench.api.run import issue_tokens, migrated_scratch_database, start_server, stop_server
from bench.challenges.burst import Request, send_burst
from bench.stats import percentile

SEED_USERS = """
INSERT INTO users (email, username, name, timezone, onboarding_completed_at)
SELECT 'race' || n || '@example.com', 'race_' || n, 'Racer ' || n, 'UTC', now()
FROM generate_series(1, $1::int) AS n
"""
# Active since yesterday for 30 days, in UTC like the seeded users; the first user created them all.
SEED_CHALLENGES = """
INSERT INTO challenges
    (title, challenge_type, duration_days, start_date, end_date, timezone, created_by, status)
SELECT 'Race ' || k, 'streak', 30, today - 1, today + 28, 'UTC',
       (SELECT id FROM users ORDER BY email LIMIT 1), 'active'
FROM generate_series(1, $1::int) AS k, (SELECT (now() AT TIME ZONE 'UTC')::date AS today) AS utc
RETURNING id
"""
SEED_MEMBERS = """
INSERT INTO challenge_participants (challenge_id, user_id, joined_at)
SELECT c.id, u.id, now() - make_interval(secs => row_number() OVER (PARTITION BY c.id ORDER BY u.id))
FROM challenges c CROSS JOIN users u;
INSERT INTO challenge_leaderboard (challenge_id, user_id)
SELECT challenge_id, user_id FROM challenge_participants;
"""
# The steady state of a participant (as bench/api seeds it): the badges their memberships earn are
# already unlocked, so evaluation after a check-in finds nothing new.
SEED_BADGES = """
INSERT INTO user_achievements (user_id, achievement_type_id)
SELECT u.id, t.id FROM users u CROSS JOIN achievement_types t
WHERE t.unlock_condition ->> 'type' = 'challenge_count'
  AND (t.unlock_condition ->> 'value')::numeric <= $1::int
"""
STANDINGS = "SELECT user_id, points, rank FROM challenge_leaderboard WHERE challenge_id = $1"
LEADERBOARD_PAGE: Final = 100
WARMUP_PARTICIPANTS: Final = 100
CEILING_APP: Final = "bench.challenges.ceiling_app:create_app"


@dataclass(frozen=True)
class Round:
    seconds: float
    latencies_ms: list[float]
    statuses: Counter[int]
    ranks_served_right: bool  # the API's leaderboard equals ranks computed here from the points
    ranks_stored_right: bool  # the rank column equals them too (only the stored design keeps it)


@dataclass(frozen=True)
class Design:
    key: str
    name: str
    app_factory: str
    probe_path: str
    request: Callable[[str, str], Request]  # (challenge, user) → the user's check-in
    rounds: int  # measured bursts


async def seed(dsn: str, participants: int, challenges: int) -> tuple[list[str], list[str]]:
    connection = await asyncpg.connect(dsn)
    try:
        await connection.execute(SEED_USERS, participants)
        challenge_ids = [str(row["id"]) for row in await connection.fetch(SEED_CHALLENGES, challenges)]
        await connection.execute(SEED_MEMBERS)
        await connection.execute(SEED_BADGES, challenges)
        await connection.execute("ANALYZE")
        users = [str(row["id"]) for row in await connection.fetch("SELECT id FROM users ORDER BY id")]
    finally:
        await connection.close()
    return users, challenge_ids


def competition_ranks(points: dict[str, int]) -> dict[str, int]:
    ordered = sorted(points.values(), reverse=True)
    first_at: dict[int, int] = {}
    for index, value in enumerate(ordered):
        first_at.setdefault(value, index + 1)
    return {user: first_at[value] for user, value in points.items()}


async def served_ranks(client: httpx.AsyncClient, challenge_id: str, token: str) -> dict[str, int]:
    ranks: dict[str, int] = {}
    cursor: str | None = None
    while True:
        params = {"limit": str(LEADERBOARD_PAGE)} | ({"cursor": cursor} if cursor else {})
        response = await client.get(
            f"/api/v1/challenges/{challenge_id}/leaderboard",
            params=params,
            headers={"Authorization": f"Bearer {token}"},
        )
        response.raise_for_status()
        ranks.update({entry["user_id"]: entry["rank"] for entry in response.json()})
        cursor = response.headers.get("X-Next-Cursor")
        if cursor is None:
            return ranks


async def run_design(
    design: Design, port: int, dsn: str, users: list[str], challenge_ids: list[str], connections: int
) -> list[Round]:
    """A warm-up burst of the first WARMUP_PARTICIPANTS on the first challenge (a fresh server builds
    its caches and prepared statements), then one measured burst of everyone per further challenge."""
    rounds: list[Round] = []
    async with httpx.AsyncClient(base_url=f"http://127.0.0.1:{port}", timeout=120) as client:
        database = await asyncpg.connect(dsn)
        try:
            for number, challenge_id in enumerate(challenge_ids):
                senders = users[:WARMUP_PARTICIPANTS] if number == 0 else users
                requests = [design.request(challenge_id, user) for user in senders]
                sent = await send_burst("127.0.0.1", port, requests, connections)
                stored = await database.fetch(STANDINGS, uuid.UUID(challenge_id))
                expected = competition_ranks({str(row["user_id"]): row["points"] for row in stored})
                # The ceiling serves no leaderboard: its rounds only time the inserts. A fresh token:
                # the slowest design outlives an access token's 15 minutes.
                reader = issue_tokens(users[:1])[users[0]]
                served = (
                    expected if design.key == "ceiling" else await served_ranks(client, challenge_id, reader)
                )
                stored_ranks = {str(row["user_id"]): row["rank"] for row in stored}
                result = Round(
                    sent.seconds,
                    sent.latencies_ms,
                    sent.statuses,
                    served == expected,
                    stored_ranks == expected,
                )
                if number:
                    rounds.append(result)
                    print(f"  {design.name}, round {number}: {line_of(design, [result])}", flush=True)
        finally:
            await database.close()
    return rounds


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--participants", type=int, default=1_000)
    parser.add_argument(
        "--rounds", type=int, default=2, help="measured bursts per design (fresh challenge each)"
    )
    parser.add_argument(
        "--unlocked-rounds",
        type=int,
        default=1,
        help="measured bursts of the unlocked stored design (minutes each)",
    )
    parser.add_argument("--connections", type=int, default=64, help="requests in flight at once")
    parser.add_argument("--port", type=int, default=8767)
    args = parser.parse_args()

    # Tokens are issued when a design starts: the slowest one outlives an access token.
    headers: dict[str, dict[str, str]] = {}

    def check_in(challenge: str, user: str) -> Request:
        return Request("POST", f"/api/v1/challenges/{challenge}/check-in", headers[user], b"{}")

    def insert(challenge: str, user: str) -> Request:
        return Request("POST", f"/insert/{challenge}/{user}", {})

    real_app, variants = "api.app:create_app", "bench.challenges.stored_ranks_app"
    designs = [
        Design("ceiling", "ceiling: plain INSERT (asyncpg)", CEILING_APP, "/bare", insert, args.rounds),
        Design("derived", "check-in, ranks derived", real_app, "/health/live", check_in, args.rounds),
        Design(
            "serialized",
            "+ rank UPDATE, challenge locked",
            f"{variants}:create_serialized_app",
            "/health/live",
            check_in,
            args.rounds,
        ),
        Design(
            "stored",
            "+ rank UPDATE, unlocked",
            f"{variants}:create_app",
            "/health/live",
            check_in,
            args.unlocked_rounds,
        ),
    ]
    print(
        f"{args.participants} participants, one burst each per round, {args.connections} in flight",
        flush=True,
    )
    with migrated_scratch_database("fitnudge_bench_challenges") as scratch:
        needed = sum(design.rounds + 1 for design in designs)
        users, challenge_ids = asyncio.run(seed(scratch.dsn, args.participants, needed))
        results: dict[str, list[Round]] = {}
        for design in designs:
            mine, challenge_ids = challenge_ids[: design.rounds + 1], challenge_ids[design.rounds + 1 :]
            headers.update(
                {user: {"Authorization": f"Bearer {token}"} for user, token in issue_tokens(users).items()}
            )
            server = start_server(design.app_factory, args.port, scratch.env, design.probe_path)
            try:
                results[design.key] = asyncio.run(
                    run_design(design, args.port, scratch.dsn, users, mine, args.connections)
                )
            finally:
                stop_server(server)
    report(designs, results)


def successes(round_: Round) -> int:
    return sum(count for status, count in round_.statuses.items() if 200 <= status < 300)


def line_of(design: Design, rounds: list[Round]) -> str:
    rate = statistics.median(len(r.latencies_ms) / r.seconds for r in rounds)
    accepted = statistics.median(successes(r) / r.seconds for r in rounds)
    latencies = [value for r in rounds for value in r.latencies_ms]
    statuses = sum((r.statuses for r in rounds), Counter())
    count = len(rounds)
    ranks = (
        ""
        if design.key == "ceiling"
        else f"  leaderboard right {sum(r.ranks_served_right for r in rounds)}/{count}"
    )
    if design.key in ("serialized", "stored"):
        ranks += f", rank column right {sum(r.ranks_stored_right for r in rounds)}/{count}"
    return (
        f"{rate:7.0f} req/s ({accepted:.1f} check-ins/s)  p50 {percentile(latencies, 0.5):7.1f} ms  "
        f"p99 {percentile(latencies, 0.99):7.1f} ms  "
        f"statuses {dict(sorted(statuses.items()))}{ranks}"
    )


def report(designs: list[Design], results: dict[str, list[Round]]) -> None:
    rates = {}
    for design in designs:
        rounds = results[design.key]
        rates[design.key] = statistics.median(successes(r) / r.seconds for r in rounds)
        print(f"{design.name:32s} {line_of(design, rounds)}")
    # Ratios of the check-ins that went through (a refused request is not a check-in).
    for key in ("derived", "serialized", "stored"):
        print(f"{key}: {rates[key] / rates['ceiling']:.4f} of the ceiling")
    for key in ("serialized", "stored"):
        print(f"derived ÷ {key}: {rates['derived'] / max(rates[key], 1e-9):.1f}×")


if __name__ == "__main__":
    main()
