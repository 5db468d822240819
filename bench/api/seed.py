"""A benchmark database: N onboarded users in UTC, each with daily goals and today's pending rows, and
the badges a first day with them earns already unlocked (a user at the 18:00 peak has checked in
before), so a check-in measures the steady state: evaluation finds nothing new (docs/domain.md §3.7)."""

from __future__ import annotations

import asyncpg

SEED_SQL = """
INSERT INTO users (email, username, name, timezone, onboarding_completed_at)
SELECT 'bench' || n || '@example.com', 'bench_' || n, 'Bench ' || n, 'UTC', now()
FROM generate_series(1, $1::int) AS n;

INSERT INTO goals (user_id, title, frequency_type, frequency_count, reminder_times)
SELECT u.id, 'Goal ' || g, 'daily', 1, '{18:00}'
FROM users u CROSS JOIN generate_series(1, $1::int) AS g;

INSERT INTO check_ins (user_id, goal_id, check_in_date)
SELECT goals.user_id, goals.id, (now() AT TIME ZONE 'UTC')::date FROM goals;

INSERT INTO user_achievements (user_id, achievement_type_id)
SELECT u.id, t.id
FROM users u CROSS JOIN achievement_types t
WHERE t.badge_key IN ('first_checkin', 'first_goal', 'goals_3');
"""


async def seed(dsn: str, users: int, goals_per_user: int) -> list[tuple[str, list[str]]]:
    """Returns (user_id, [goal_id, …]) for every seeded user."""
    connection = await asyncpg.connect(dsn)
    try:
        await connection.execute("TRUNCATE users CASCADE")
        statements = [statement for statement in SEED_SQL.split(";") if statement.strip()]
        await connection.execute(statements[0], users)
        await connection.execute(statements[1], goals_per_user)
        await connection.execute(statements[2])
        await connection.execute(statements[3])
        await connection.execute("ANALYZE")
        rows = await connection.fetch(
            "SELECT user_id, array_agg(id ORDER BY id) AS goals FROM goals GROUP BY user_id"
        )
        return [(str(row["user_id"]), [str(goal) for goal in row["goals"]]) for row in rows]
    finally:
        await connection.close()
