"""The challenge jobs' statements on 200,000 challenges: EXPLAIN ANALYZE of what each job sends.

    .venv/bin/python -m bench.challenges.explain

On a scratch database: 20,000 users (free plan), 200,000 challenges over the last 400 days (2 %
upcoming starting in 10 days, 1 % active ending in 20 days, the rest completed or cancelled), one
membership and leaderboard row each, one invite per challenge (pending for the open ones, a quarter
of those expired an hour ago) with its inbox row, and 400,000 other inbox rows. Each job runs once at
the real clock (`update_statuses` finds nothing due; the lapsed-creator clean-up cancels the 3 % open
ones, whose creators are all free) with
every statement recorded; then each recorded statement is EXPLAINed (ANALYZE, BUFFERS) with its own
parameters in a rolled-back transaction (after the run: the clean-up's batches then find nothing left to
cancel, so their figure is the keyset walk of 500 alone). Prints, per statement, its execution time and
any sequential scan of a table bigger than the plan catalogue. The aim: none (the jobs walk their due
indexes).
"""

from __future__ import annotations

from bench.scheduling.scratch import asyncpg_dsn, scratch_database, use_scratch_environment

SCRATCH = use_scratch_environment("challenge_explain")

import asyncio  # noqa: E402
import re  # noqa: E402
from collections.abc import Awaitable, Callable, Mapping, Sequence  # noqa: E402
from datetime import UTC, datetime  # noqa: E402
from typing import Any  # noqa: E402

import asyncpg  # noqa: E402

from bench.recorded_statements import recorded_statements  # noqa: E402
from bench.scheduling.seed import analyze  # noqa: E402
from db.engine import create_engine  # noqa: E402
from services.messages import MessageSender  # noqa: E402
from services.transaction import EngineDatabase  # noqa: E402
from workers.broker import broker  # noqa: E402
from workers.jobs import challenges as jobs  # noqa: E402

SMALL_TABLES = {"subscription_plans", "plan_features"}
SEED = """
INSERT INTO users (email, username, name)
SELECT 'explain' || i || '@example.com', 'explain_' || i, 'Explain ' || i FROM generate_series(1, 20000) AS i;
CREATE TEMP TABLE numbered AS SELECT row_number() OVER (ORDER BY id) - 1 AS n, id FROM users;
INSERT INTO challenges (title, challenge_type, duration_days, start_date, end_date, timezone, created_by,
                        status)
SELECT 'Challenge ' || i, 'streak', 30, current_date - 400 + i % 370,
       current_date - 400 + i % 370 + 29, 'UTC', u.id,
       CASE WHEN i % 100 IN (0, 2) THEN 'upcoming' WHEN i % 100 = 1 THEN 'active'
            WHEN i % 2 = 0 THEN 'completed' ELSE 'cancelled' END
FROM generate_series(1, 200000) AS i JOIN numbered u ON u.n = i % 20000;
UPDATE challenges SET start_date = current_date + 10, end_date = current_date + 39 WHERE status = 'upcoming';
UPDATE challenges SET start_date = current_date - 10, end_date = current_date + 19 WHERE status = 'active';
INSERT INTO challenge_participants (challenge_id, user_id) SELECT id, created_by FROM challenges;
INSERT INTO challenge_leaderboard (challenge_id, user_id)
SELECT challenge_id, user_id FROM challenge_participants;
INSERT INTO challenge_invites (challenge_id, invite_type, invited_by_user_id, invited_user_id, expires_at,
                               status)
SELECT c.id, 'direct', c.created_by, u.id, now() + interval '3 days',
       CASE WHEN c.status IN ('upcoming', 'active') THEN 'pending' ELSE 'expired' END
FROM challenges c JOIN numbered u ON u.n = (abs(hashtext(c.id::text)) % 19999) + 1 AND u.id <> c.created_by;
UPDATE challenge_invites SET expires_at = now() - interval '1 hour'
WHERE status = 'pending' AND random() < 0.25;
INSERT INTO notification_history (user_id, notification_type, title, body, data, entity_type, entity_id,
                                  push_status)
SELECT invited_user_id, 'challenge_invite', 'Challenge invite', 'b',
       jsonb_build_object('type', 'challenge_invite', 'inviteId', id::text, 'deepLink', 'x'),
       'challenge', challenge_id, 'skipped'
FROM challenge_invites;
INSERT INTO notification_history (user_id, notification_type, title, body, data, entity_type, entity_id,
                                  push_status)
SELECT u.id, 'general', 't', 'b', '{"type": "general", "deepLink": "x"}', 'user', u.id, 'skipped'
FROM users u CROSS JOIN generate_series(1, 20);
"""


async def explained(connection: asyncpg.Connection, statement: str, parameters: Sequence[Any]) -> list[str]:
    transaction = connection.transaction()
    await transaction.start()
    try:
        rows = await connection.fetch(f"EXPLAIN (ANALYZE, BUFFERS) {statement}", *parameters)
    finally:
        await transaction.rollback()
    return [row[0] for row in rows]


def summary(plan: Sequence[str]) -> tuple[str, list[str]]:
    execution = next((line.split(":")[1].strip() for line in plan if "Execution Time" in line), "?")
    scans = [match.group(1) for line in plan if (match := re.search(r"Seq Scan on (\w+)", line))]
    return execution, [table for table in scans if table not in SMALL_TABLES]


async def run() -> None:
    async with scratch_database(SCRATCH) as url:
        connection = await asyncpg.connect(asyncpg_dsn(url))
        await connection.execute(SEED)
        await analyze(connection)
        engine = create_engine(url, process_name="bench")
        database = EngineDatabase(engine, MessageSender(broker))
        now = datetime.now(UTC)
        runs: Mapping[str, Callable[[], Awaitable[Any]]] = {
            jobs.STATUSES_JOB: lambda: jobs.update_statuses(database, now=now),
            jobs.ABANDONED_JOB: lambda: jobs.cancel_abandoned(database, now=now),
            jobs.EXPIRE_INVITES_JOB: lambda: jobs.expire_invites(database, now=now),
            jobs.LAPSED_CREATORS_JOB: lambda: jobs.cancel_lapsed_creators(database, now=now),
        }
        worst: list[str] = []
        for name, job in runs.items():
            with recorded_statements(engine) as recorded:
                counts = await job()
            print(f"{name}: {dict(counts)}")
            for statement, parameters in recorded:
                if "pg_try_advisory_xact_lock" in statement:
                    continue
                execution, scans = summary(await explained(connection, statement, list(parameters or ())))
                first_line = " ".join(statement.split())[:70]
                print(f"  {execution:>10}  seq scans: {scans or 'none'}  {first_line}")
                worst.extend(scans)
        print(f"sequential scans of big tables: {sorted(set(worst)) or 'none'}")
        await engine.dispose()
        await connection.close()


if __name__ == "__main__":
    asyncio.run(run())
