"""Weekly recap chunks for 5,000 premium users: users/s, statements per chunk, and the stats plans.

    .venv/bin/python -m bench.recaps.chunks [--users 5000] [--chunk 50]

On a scratch database: users in Berlin, premium, 3 active daily goals each with 35 days of check-ins
before Monday 2025-06-16 (about 4 in 5 completed, the rest missed, skipped or rest days, moods on the
answered ones), one accepted partner each, 20 badges (two unlocked during the recap week) and a year
of earlier recaps. Timed, in
chunks of `--chunk` users as `recaps.build_chunk` runs them (no model: the template texts):

1. the ceiling: one statement per chunk that counts the chunk's check-in rows of the four trend weeks
   by user, completed ones and moods (one pass over the rows, heap included, that any recap of those
   users must read, and nothing else);
2. `recap_facts` + `recap_numbers` per chunk (the six statements and the shaping);
3. `build_recap_chunk` per chunk: the same, the templates, the one recap insert and the notices.

Statements per chunk are counted (they must not depend on the chunk's size), and every statement of
`recap_facts` is EXPLAINed (ANALYZE, BUFFERS) for one chunk: the run fails on a sequential scan of
check_ins, goals, user_achievements, accountability_partners or weekly_recaps.
"""

from __future__ import annotations

from bench.scheduling.scratch import asyncpg_dsn, scratch_database, use_scratch_environment

SCRATCH = use_scratch_environment("recaps")

import argparse  # noqa: E402
import asyncio  # noqa: E402
import time  # noqa: E402
from collections.abc import Awaitable, Callable, Iterator, Sequence  # noqa: E402
from contextlib import contextmanager  # noqa: E402
from datetime import UTC, date, datetime, timedelta  # noqa: E402
from typing import Any  # noqa: E402

import asyncpg  # noqa: E402
import redis.asyncio as aioredis  # noqa: E402
import sqlalchemy as sa  # noqa: E402

from bench.recorded_statements import recorded_statements  # noqa: E402
from bench.scheduling.seed import analyze, seed_daily_goals, seed_users  # noqa: E402
from db.engine import create_engine  # noqa: E402
from db.weekly_recap_stats import RecapTarget, recap_facts  # noqa: E402
from domain.weekly_recaps import recap_numbers  # noqa: E402
from services.messages import MessageSender  # noqa: E402
from services.transaction import EngineDatabase  # noqa: E402
from settings import get_settings  # noqa: E402
from workers.jobs.weekly_recaps import build_recap_chunk  # noqa: E402
from workers.periodic_jobs import JobContext  # noqa: E402

# Monday 2025-06-16, 10:00 in Berlin: the recap of 9–15 June.
NOW = datetime(2025, 6, 16, 8, 0, tzinfo=UTC)
WEEK = date(2025, 6, 9)
HISTORY_DAYS = 35
EARLIER_RECAPS = 52
# Badges each user holds (the first ones of the catalogue), two of them unlocked in the recap week.
BADGES_PER_USER = 20
SEQ_SCAN_FORBIDDEN = ("check_ins", "goals", "user_achievements", "accountability_partners", "weekly_recaps")


async def seed(connection: asyncpg.Connection, users: int) -> None:
    await seed_users(connection, users, timezone="Europe/Berlin")
    await connection.execute("UPDATE users SET plan = 'premium'")
    await seed_daily_goals(connection, per_user=3, reminder_time="18:00")
    await connection.execute(
        """
        INSERT INTO check_ins (user_id, goal_id, check_in_date, status, mood, responded_at)
        SELECT g.user_id, g.id, $1::date - d, s.status,
               CASE WHEN s.status IN ('completed', 'skipped', 'rest_day')
                    THEN (ARRAY['tough', 'good', 'amazing'])[1 + abs(hashtext(g.id::text || d)) % 3] END,
               CASE WHEN s.status <> 'missed' THEN $2::timestamptz - d * interval '1 day' END
        FROM goals g
        CROSS JOIN generate_series(1, $3) AS d
        CROSS JOIN LATERAL (
            SELECT (ARRAY['completed', 'completed', 'completed', 'completed', 'completed', 'completed',
                          'completed', 'completed', 'missed', 'skipped', 'rest_day'])
                   [1 + abs(hashtext(g.id::text || 's' || d)) % 11] AS status
        ) s
        """,
        WEEK + timedelta(days=7),
        NOW,
        HISTORY_DAYS,
    )
    await connection.execute(
        "UPDATE goals SET current_streak = 5, longest_streak = 20, total_completions = 28"
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
        INSERT INTO user_achievements (user_id, achievement_type_id, unlocked_at)
        SELECT users.id, achievement_types.id,
               CASE WHEN achievement_types.badge_key IN ('first_checkin', 'first_goal')
                    THEN $1::timestamptz - interval '3 days' ELSE $1::timestamptz - interval '100 days' END
        FROM users CROSS JOIN achievement_types
        WHERE achievement_types.sort_order <= $2
        """,
        NOW,
        BADGES_PER_USER,
    )
    # A year of earlier recaps, so the recap table has the size the existence checks meet.
    await connection.execute(
        """
        INSERT INTO weekly_recaps (user_id, week_start, week_end, goals_hit, goals_total, stats)
        SELECT users.id, $1::date - 7 * w, $1::date - 7 * w + 6, 3, 3, '{}'::jsonb
        FROM users CROSS JOIN generate_series(1, $2) AS w
        """,
        WEEK,
        EARLIER_RECAPS,
    )


def chunks_of(targets: Sequence[RecapTarget], size: int) -> list[Sequence[RecapTarget]]:
    return [targets[start : start + size] for start in range(0, len(targets), size)]


async def timed(
    chunks: list[Sequence[RecapTarget]], work: Callable[[Sequence[RecapTarget]], Awaitable[int]]
) -> tuple[float, int]:
    started = time.perf_counter()
    done = 0
    for chunk in chunks:
        done += await work(chunk)
    return time.perf_counter() - started, done


async def explain(connection: asyncpg.Connection, statement: str, parameters: Any) -> str:
    rows = await connection.fetch(f"EXPLAIN (ANALYZE, BUFFERS) {statement}", *parameters)
    return "\n".join(row[0] for row in rows)


@contextmanager
def timed_statements(engine: Any) -> Iterator[list[tuple[str, float]]]:
    """Each statement the engine sends inside the block (its first words) with its seconds, fetch included."""
    timings: list[tuple[str, float]] = []
    started: list[float] = []

    def before(*_: Any) -> None:
        started.append(time.perf_counter())

    def after(_connection: Any, _cursor: Any, statement: str, *_: Any) -> None:
        timings.append((" ".join(statement.split()[:3]), time.perf_counter() - started.pop()))

    sa.event.listen(engine.sync_engine, "before_cursor_execute", before)
    sa.event.listen(engine.sync_engine, "after_cursor_execute", after)
    try:
        yield timings
    finally:
        sa.event.remove(engine.sync_engine, "before_cursor_execute", before)
        sa.event.remove(engine.sync_engine, "after_cursor_execute", after)


def statement_summary(timings: list[tuple[str, float]]) -> str:
    totals: dict[str, float] = {}
    for kind, seconds in timings:
        totals[kind] = totals.get(kind, 0.0) + seconds
    return ", ".join(f"{kind}: {seconds:.2f} s" for kind, seconds in totals.items())


RAW_ROWS = """
SELECT user_id, count(*) FILTER (WHERE status = 'completed'), count(mood) FROM check_ins
WHERE user_id = ANY($1::uuid[]) AND check_in_date BETWEEN $2::date - 21 AND $2::date + 6
GROUP BY user_id
"""


async def run(users: int, chunk_size: int) -> None:
    async with scratch_database(SCRATCH) as url:
        connection = await asyncpg.connect(asyncpg_dsn(url))
        started = time.perf_counter()
        await seed(connection, users)
        await analyze(connection)
        rows = await connection.fetchval("SELECT count(*) FROM check_ins")
        print(f"seeded {users:,} premium users, {rows:,} check-ins in {time.perf_counter() - started:.1f} s")

        engine = create_engine(url, process_name="bench", pool_size=2)
        settings = get_settings()
        database = EngineDatabase(
            engine, MessageSender.to_redis(settings.redis_url, settings.dramatiq_namespace)
        )
        redis = aioredis.Redis.from_url(settings.redis_url)
        context = JobContext(database, redis, settings)
        user_ids = [row["id"] for row in await connection.fetch("SELECT id FROM users ORDER BY id")]
        chunks = chunks_of([RecapTarget(user_id, WEEK) for user_id in user_ids], chunk_size)

        async def raw_rows(chunk: Sequence[RecapTarget]) -> int:
            await connection.fetch(RAW_ROWS, [target.user_id for target in chunk], WEEK)
            return len(chunk)

        async def stats(chunk: Sequence[RecapTarget]) -> int:
            async with database.transaction() as tx:
                facts = await recap_facts(tx.connection, chunk)
            return len([recap_numbers(item) for item in facts])

        async def whole_chunk(chunk: Sequence[RecapTarget]) -> int:
            return (await build_recap_chunk(context, chunk, NOW))["written"]

        await timed(chunks, raw_rows)  # warm the cache
        ceiling_s, _ = await timed(chunks, raw_rows)
        ceiling = users / ceiling_s
        print(
            f"ceiling, one count of four weeks' check-ins and moods per chunk: {ceiling_s:.2f} s = "
            f"{ceiling:,.0f} users/s"
        )

        with recorded_statements(engine) as statements, timed_statements(engine) as timings:
            stats_s, _ = await timed(chunks, stats)
        print(
            f"recap_facts + recap_numbers: {stats_s:.2f} s = {users / stats_s:,.0f} users/s, "
            f"ratio {users / stats_s / ceiling:.2f}; {len(statements) / len(chunks):.0f} statements per chunk"
        )
        print("  seconds in the statements, by their first words: " + statement_summary(timings))
        for sql, parameters in statements[: len(statements) // len(chunks)]:
            plan = await explain(connection, sql, parameters)
            scanned = [table for table in SEQ_SCAN_FORBIDDEN if f"Seq Scan on {table}" in plan]
            first_line = " ".join(sql.split())[:90]
            print(f"--- {first_line} …\n{plan}")
            if scanned:
                raise SystemExit(f"a recap statement reads {scanned} sequentially")

        with recorded_statements(engine) as statements:
            whole_s, written = await timed(chunks, whole_chunk)
        print(
            f"build_recap_chunk (templates, insert, notices): {written:,} recaps in {whole_s:.2f} s = "
            f"{users / whole_s:,.0f} users/s, ratio {users / whole_s / ceiling:.2f}; "
            f"{len(statements) / len(chunks):.0f} statements per chunk"
        )
        await redis.aclose()
        await engine.dispose()
        await connection.close()


def main() -> None:
    parser = argparse.ArgumentParser(prog="python -m bench.recaps.chunks")
    parser.add_argument("--users", type=int, default=5_000)
    parser.add_argument("--chunk", type=int, default=50)
    arguments = parser.parse_args()
    asyncio.run(run(arguments.users, arguments.chunk))


if __name__ == "__main__":
    main()
