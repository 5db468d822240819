"""Badge evaluation for 10,000 users after a day of check-ins: users/s and statements per batch.

    .venv/bin/python -m bench.achievements.evaluate [--users 10000] [--batch 500]

On a scratch database: users in four zones, created 0–400 days ago, 3 active daily goals each with
30–119 days of completed history (about 2.2 M check-in rows), one accepted partner each and 40 sent
nudges and cheers per pair. Everyone is evaluated once for yesterday (their earlier unlocks), then
today's check-ins are written (one completed row per goal, streaks advanced). Timed, in batches of
`--batch` users, one transaction per batch, as the account-age sweep runs them:

1. the ceiling: `condition_counts` alone, the one statement every evaluation starts with;
2. `evaluate_achievements` for every user (catalogue, counts, insert, notices);
3. the same after adding 20 badges that every user has earned (20 more unlocks and notices per
   user): the statements per batch must not move.

The counts statement's EXPLAIN (ANALYZE, BUFFERS) for one batch is printed, and the run fails if it
reads any user-data table with a sequential scan.
"""

from __future__ import annotations

from bench.scheduling.scratch import asyncpg_dsn, scratch_database, use_scratch_environment

SCRATCH = use_scratch_environment("achievements")

import argparse  # noqa: E402
import asyncio  # noqa: E402
import time  # noqa: E402
from collections.abc import Awaitable, Callable, Iterator, Sequence  # noqa: E402
from contextlib import contextmanager  # noqa: E402
from datetime import UTC, date, datetime, timedelta  # noqa: E402
from typing import Any  # noqa: E402
from uuid import UUID  # noqa: E402

import asyncpg  # noqa: E402
import sqlalchemy as sa  # noqa: E402

from bench.recorded_statements import recorded_statements  # noqa: E402
from bench.scheduling.seed import analyze, seed_daily_goals, seed_users  # noqa: E402
from db.achievements import condition_counts  # noqa: E402
from db.engine import create_engine  # noqa: E402
from services.achievements import evaluate_achievements  # noqa: E402
from services.messages import MessageSender  # noqa: E402
from services.transaction import EngineDatabase, Transaction  # noqa: E402
from settings import get_settings  # noqa: E402

# 20:00 UTC: the evening of 2025-06-10 in every zone below.
NOW = datetime(2025, 6, 10, 20, 0, tzinfo=UTC)
TODAY = date(2025, 6, 10)
ZONES = ("UTC", "Europe/Berlin", "America/New_York", "Asia/Kolkata")
GOALS_PER_USER = 3
EXTRA_BADGES = 20
SEQ_SCAN_FORBIDDEN = ("check_ins", "goals", "accountability_partners", "social_nudges", "user_achievements")


async def seed(connection: asyncpg.Connection, users: int) -> None:
    await seed_users(connection, users, timezone="UTC")
    await connection.execute(
        """
        UPDATE users
        SET timezone = ($1::text[])[1 + abs(hashtext(id::text)) % 4],
            created_at = $2::timestamptz - (abs(hashtext(id::text || 'c')) % 400) * interval '1 day'
        """,
        list(ZONES),
        NOW,
    )
    await seed_daily_goals(connection, per_user=GOALS_PER_USER, reminder_time="18:00")
    # History before today: 30–119 consecutive completed days per user, ending yesterday.
    await connection.execute(
        """
        INSERT INTO check_ins (user_id, goal_id, check_in_date, status, responded_at)
        SELECT g.user_id, g.id, $1::date - d, 'completed', $2::timestamptz - d * interval '1 day'
        FROM goals g CROSS JOIN LATERAL generate_series(1, 30 + abs(hashtext(g.user_id::text)) % 90) AS d
        """,
        TODAY,
        NOW,
    )
    await connection.execute(
        """
        UPDATE goals SET current_streak = 30 + abs(hashtext(user_id::text)) % 90,
                         longest_streak = 30 + abs(hashtext(user_id::text)) % 90,
                         total_completions = 30 + abs(hashtext(user_id::text)) % 90
        """
    )
    await connection.execute(
        """
        WITH numbered AS (SELECT id, row_number() OVER (ORDER BY id) AS n FROM users)
        INSERT INTO accountability_partners
            (user_id, partner_user_id, initiated_by_user_id, status, accepted_at)
        SELECT a.id, b.id, a.id, 'accepted', $1::timestamptz
        FROM numbered a JOIN numbered b ON b.n = a.n + 1 WHERE a.n % 2 = 1
        """,
        NOW - timedelta(days=60),
    )
    await connection.execute(
        """
        INSERT INTO social_nudges (sender_id, recipient_id, partnership_id, nudge_type, nudge_date)
        SELECT sender, recipient, p.id, CASE WHEN k % 2 = 0 THEN 'nudge' ELSE 'cheer' END, $1::date - k
        FROM accountability_partners p
        CROSS JOIN LATERAL (VALUES (p.user_id, p.partner_user_id), (p.partner_user_id, p.user_id))
            AS s(sender, recipient)
        CROSS JOIN generate_series(1, 20) AS k
        """,
        TODAY,
    )


async def a_day_of_check_ins(connection: asyncpg.Connection) -> int:
    """Today's answers: one completed row per goal, the goals' streaks advanced."""
    written = await connection.execute(
        """
        INSERT INTO check_ins (user_id, goal_id, check_in_date, status, responded_at)
        SELECT user_id, id, $1::date, 'completed', $2::timestamptz FROM goals
        """,
        TODAY,
        NOW,
    )
    await connection.execute(
        "UPDATE goals SET current_streak = current_streak + 1, longest_streak = longest_streak + 1,"
        " total_completions = total_completions + 1, last_completed_date = $1::date",
        TODAY,
    )
    await connection.execute("ANALYZE")
    return int(written.split()[-1])


def batches(user_ids: Sequence[UUID], size: int) -> list[Sequence[UUID]]:
    return [user_ids[start : start + size] for start in range(0, len(user_ids), size)]


async def timed_batches(
    database: EngineDatabase,
    user_batches: list[Sequence[UUID]],
    work: Callable[[Transaction, Sequence[UUID]], Awaitable[int]],
) -> tuple[float, int]:
    """Seconds for `work` over every batch, one transaction each, and the sum of what it returned."""
    total = 0
    started = time.perf_counter()
    for batch in user_batches:
        async with database.transaction() as tx:
            total += await work(tx, batch)
    return time.perf_counter() - started, total


async def counts_only(tx: Transaction, batch: Sequence[UUID]) -> int:
    return len(await condition_counts(tx.connection, batch, now=NOW))


async def evaluation(tx: Transaction, batch: Sequence[UUID]) -> int:
    return len(await evaluate_achievements(tx, batch, now=NOW))


def statement_kind(sql: str) -> str:
    """The step a recorded statement belongs to."""
    text = " ".join(sql.split()).lower()
    if "perfect_7" in text:
        return "counts"
    if text.startswith("insert into user_achievements"):
        return "insert"
    if "notification_history" in text:
        return "notify"
    if "from achievement_types" in text:
        return "catalogue"
    return "other"


@contextmanager
def timed_statements(engine: Any) -> Iterator[list[tuple[str, float]]]:
    """Each statement the engine sends inside the block, with its kind and its seconds."""
    timings: list[tuple[str, float]] = []
    started: list[float] = []

    def before(*_: Any) -> None:
        started.append(time.perf_counter())

    def after(_connection: Any, _cursor: Any, statement: str, *_: Any) -> None:
        timings.append((statement_kind(statement), time.perf_counter() - started.pop()))

    sa.event.listen(engine.sync_engine, "before_cursor_execute", before)
    sa.event.listen(engine.sync_engine, "after_cursor_execute", after)
    try:
        yield timings
    finally:
        sa.event.remove(engine.sync_engine, "before_cursor_execute", before)
        sa.event.remove(engine.sync_engine, "after_cursor_execute", after)


async def evaluate_timed(
    engine: Any, database: EngineDatabase, user_batches: list[Sequence[UUID]]
) -> tuple[float, int, list[tuple[str, float]]]:
    with timed_statements(engine) as timings:
        seconds, unlocked = await timed_batches(database, user_batches, evaluation)
    return seconds, unlocked, timings


def statement_summary(timings: list[tuple[str, float]], batches_run: int) -> str:
    """Statements per kind with their total seconds: the count must not depend on the badges."""
    kinds: dict[str, tuple[int, float]] = {}
    for kind, seconds in timings:
        count, total = kinds.get(kind, (0, 0.0))
        kinds[kind] = (count + 1, total + seconds)
    shown = ", ".join(f"{kind} {count} ({total:.2f} s)" for kind, (count, total) in sorted(kinds.items()))
    return f"{len(timings)} statements for {batches_run} batches: {shown}"


async def explain(connection: asyncpg.Connection, statement: str, parameters: Any) -> str:
    """EXPLAIN (ANALYZE, BUFFERS) of a statement exactly as the engine sent it."""
    rows = await connection.fetch(f"EXPLAIN (ANALYZE, BUFFERS) {statement}", *parameters)
    return "\n".join(row[0] for row in rows)


async def run(users: int, batch_size: int) -> None:
    async with scratch_database(SCRATCH) as url:
        connection = await asyncpg.connect(asyncpg_dsn(url))
        started = time.perf_counter()
        await seed(connection, users)
        await analyze(connection)
        history = await connection.fetchval("SELECT count(*) FROM check_ins")
        seeded_s = time.perf_counter() - started
        print(f"seeded {users:,} users, {history:,} completed check-ins in {seeded_s:.1f} s")

        engine = create_engine(url, process_name="bench", pool_size=2)
        settings = get_settings()
        database = EngineDatabase(
            engine, MessageSender.to_redis(settings.redis_url, settings.dramatiq_namespace)
        )
        user_ids = [row["id"] for row in await connection.fetch("SELECT id FROM users ORDER BY id")]
        user_batches = batches(user_ids, batch_size)

        yesterday_s, earlier = await timed_batches(database, user_batches, evaluation)
        print(f"yesterday's evaluation (the earlier unlocks): {earlier:,} unlocks in {yesterday_s:.2f} s")
        print(f"a day of check-ins: {await a_day_of_check_ins(connection):,} completed rows written")

        await timed_batches(database, user_batches, counts_only)  # warm the cache for both passes
        with recorded_statements(engine) as counted_statements:
            counts_s, counted = await timed_batches(database, user_batches, counts_only)
        ceiling = counted / counts_s
        print(f"ceiling, the counts statement alone: {counts_s:.2f} s = {ceiling:,.0f} users/s")
        sql, parameters = counted_statements[0]
        plan = await explain(connection, sql, parameters)
        print(f"EXPLAIN (ANALYZE, BUFFERS) of the counts statement for one batch of {batch_size}:")
        print(plan)
        scanned = [table for table in SEQ_SCAN_FORBIDDEN if f"Seq Scan on {table}" in plan]
        if scanned:
            raise SystemExit(f"the counts statement reads {scanned} sequentially")

        evaluate_s, unlocked, statements = await evaluate_timed(engine, database, user_batches)
        rate = users / evaluate_s
        print(
            f"evaluate_achievements, 69 badges: {unlocked:,} unlocks in {evaluate_s:.2f} s = "
            f"{rate:,.0f} users/s, ratio to the counts statement {rate / ceiling:.2f}; "
            f"{statement_summary(statements, len(user_batches))}"
        )

        await connection.execute(
            """
            INSERT INTO achievement_types (badge_key, badge_name, unlock_condition, category, sort_order)
            SELECT 'bench_' || i, 'Bench ' || i, jsonb_build_object('type', 'checkin_count', 'value', i),
                   'consistency', 1000 + i
            FROM generate_series(1, $1) AS i
            """,
            EXTRA_BADGES,
        )
        more_s, more_unlocked, more_statements = await evaluate_timed(engine, database, user_batches)
        print(
            f"evaluate_achievements, {69 + EXTRA_BADGES} badges (each extra one earned by everyone): "
            f"{more_unlocked:,} unlocks in {more_s:.2f} s = {more_unlocked / more_s:,.0f} unlocks/s, "
            f"{users / more_s:,.0f} users/s; {statement_summary(more_statements, len(user_batches))}"
        )

        await engine.dispose()
        await connection.close()


def main() -> None:
    parser = argparse.ArgumentParser(prog="python -m bench.achievements.evaluate")
    parser.add_argument("--users", type=int, default=10_000)
    parser.add_argument("--batch", type=int, default=500)
    arguments = parser.parse_args()
    asyncio.run(run(arguments.users, arguments.batch))


if __name__ == "__main__":
    main()
