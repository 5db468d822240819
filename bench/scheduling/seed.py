"""Set-based seeding for the scheduling benchmarks (generate_series, one statement per table).

Every statement runs on a raw asyncpg connection: seeding 1,000,000 rows this way takes seconds where
row-by-row inserts would take minutes.
"""

from __future__ import annotations

from datetime import datetime

import asyncpg


async def seed_users(connection: asyncpg.Connection, count: int, *, timezone: str) -> None:
    """`count` onboarded users in `timezone`, each with one active device."""
    await connection.execute(
        """
        INSERT INTO users (email, username, name, timezone, onboarding_completed_at)
        SELECT 'bench' || i || '@example.com', 'bench_' || i, 'Bench User ' || i, $1, now()
        FROM generate_series(1, $2) AS i
        """,
        timezone,
        count,
    )
    await connection.execute(
        """
        INSERT INTO device_tokens (user_id, fcm_token, device_type, device_id, app_version, os_version)
        SELECT id, 'ExponentPushToken[bench-' || id || ']', 'ios', id::text, '1.0', '17' FROM users
        """
    )


async def seed_daily_goals(connection: asyncpg.Connection, *, per_user: int, reminder_time: str) -> None:
    """`per_user` active daily goals for every user, all reminding at `reminder_time`."""
    await connection.execute(
        """
        INSERT INTO goals (user_id, title, frequency_type, reminder_times)
        SELECT users.id, 'Goal ' || g, 'daily', ARRAY[$2]::text[]
        FROM users CROSS JOIN generate_series(1, $1) AS g
        """,
        per_user,
        reminder_time,
    )


async def seed_slots_due_at(connection: asyncpg.Connection, due_at: datetime) -> None:
    """One slot per goal, every one due at `due_at` (the thundering herd)."""
    await connection.execute(
        """
        INSERT INTO reminder_slots (user_id, goal_id, reminder_time, next_fire_at)
        SELECT user_id, id, reminder_times[1], $1::timestamptz FROM goals
        """,
        due_at,
    )


async def seed_slots_spread_after(connection: asyncpg.Connection, after: datetime) -> None:
    """One slot per goal, due at random instants over the 24 hours after `after` (nothing due at it)."""
    await connection.execute(
        """
        INSERT INTO reminder_slots (user_id, goal_id, reminder_time, next_fire_at)
        SELECT user_id, id, reminder_times[1],
               $1::timestamptz + interval '1 minute' + random() * interval '24 hours'
        FROM goals
        """,
        after,
    )


async def analyze(connection: asyncpg.Connection) -> None:
    await connection.execute("VACUUM ANALYZE")
