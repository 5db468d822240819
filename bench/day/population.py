"""The day's population: users across time zones with daily goals, devices and partners, set up by the
app's own rules, then the coming 24 hours of their due instants compressed into the run's window.

Seeding is set-wise SQL (generate_series and weighted picks), as in bench/scheduling/seed.py. The
instants are not invented here: the reminder slots, the morning notices and today's pending check-ins
(prompt, follow-up, missed) come from the same functions and job the API and the scheduler use, for
the instant `seeded_at`. `compress` then maps every instant in (seeded_at, seeded_at + 24 h] to
`start + (instant − seeded_at) / factor`, so the system meets a whole day of due work, in its real
shape across time zones, while every process runs on the real clock.
"""

from __future__ import annotations

import random
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any
from uuid import UUID

import asyncpg
import sqlalchemy as sa

from db.reminder_slots import rebuild_user_slots
from db.users import refresh_morning_motivation
from services.progress import steps
from services.transaction import EngineDatabase

# Where the app's users live, weighted (a guess at a global English-language fitness app's spread).
TIMEZONES: dict[str, int] = {
    "America/Los_Angeles": 8,
    "America/Denver": 2,
    "America/Chicago": 6,
    "America/New_York": 12,
    "America/Mexico_City": 4,
    "America/Sao_Paulo": 6,
    "Europe/London": 7,
    "Europe/Berlin": 8,
    "Europe/Istanbul": 3,
    "Africa/Lagos": 4,
    "Africa/Cairo": 2,
    "Europe/Moscow": 3,
    "Asia/Dubai": 2,
    "Asia/Kolkata": 10,
    "Asia/Kathmandu": 1,
    "Asia/Dhaka": 2,
    "Asia/Bangkok": 3,
    "Asia/Jakarta": 4,
    "Asia/Shanghai": 5,
    "Asia/Tokyo": 4,
    "Australia/Adelaide": 1,
    "Australia/Sydney": 3,
    "Pacific/Auckland": 1,
}
# When people ask to be reminded (local time), weighted: the evening peak is the 18:00 of the seed.
REMINDER_TIMES: dict[str, int] = {
    "07:00": 20,
    "08:30": 10,
    "12:30": 10,
    "17:30": 15,
    "18:00": 25,
    "19:00": 10,
    "20:30": 10,
}
SECOND_GOAL_SHARE = 0.5
MORNING_NOTICE_SHARE = 0.7
PARTNERED_SHARE = 0.2
# One batch of the app's own functions (two statements each, whatever the size).
RULES_BATCH = 10_000
COMPRESSED_DAY = timedelta(hours=24)


@dataclass(frozen=True, slots=True)
class Window:
    seeded_at: datetime  # the instant the app's rules were applied for
    start: datetime  # where seeded_at lands in real time
    factor: float  # a day of due instants in 24 h / factor of real time

    @property
    def end(self) -> datetime:
        return self.start + COMPRESSED_DAY / self.factor


def _weighted_case(column: str, weights: dict[str, int]) -> str:
    """A SQL CASE picking one of `weights` by the uniform number in `column` (0 ≤ column < 1)."""
    total = sum(weights.values())
    bound = 0
    branches = []
    for value, weight in weights.items():
        bound += weight
        branches.append(f"WHEN {column} < {bound / total!r} THEN '{value}'")
    return "CASE " + " ".join(branches[:-1]) + f" ELSE '{list(weights)[-1]}' END"


async def seed_population(connection: asyncpg.Connection, users: int, *, seed: int) -> None:
    """`users` onboarded users across TIMEZONES with one device, 1–2 daily goals reminding at
    REMINDER_TIMES, a morning notice for MORNING_NOTICE_SHARE of them, accepted partnerships between
    PARTNERED_SHARE of them, and the badges a first day earns (a check-in then measures the steady
    state, as bench/api/seed.py explains)."""
    statements: list[tuple[Any, ...]] = [
        (
            f"""
            INSERT INTO users (email, username, name, timezone, onboarding_completed_at, last_active_at,
                               morning_motivation_enabled)
            SELECT 'day' || i || '@example.com', 'day_' || i, 'Day User ' || i,
                   {_weighted_case("zone_pick", TIMEZONES)}, now(), now(), morning_pick < $2
            FROM (SELECT i, random() AS zone_pick, random() AS morning_pick
                  FROM generate_series(1, $1::int) AS i) AS picks
            """,
            users,
            MORNING_NOTICE_SHARE,
        ),
        (
            """
            INSERT INTO device_tokens (user_id, fcm_token, device_type, device_id, app_version, os_version)
            SELECT id, 'ExponentPushToken[day-' || id || ']', 'ios', id::text, '1.0', '17' FROM users
            """,
        ),
        (
            f"""
            INSERT INTO goals (user_id, title, frequency_type, frequency_count, reminder_times)
            SELECT user_id, 'Goal ' || g, 'daily', 1, ARRAY[{_weighted_case("time_pick", REMINDER_TIMES)}]
            FROM (SELECT users.id AS user_id, g, random() AS time_pick, random() AS second_pick
                  FROM users CROSS JOIN generate_series(1, 2) AS g) AS picks
            WHERE g = 1 OR second_pick < $1
            """,
            SECOND_GOAL_SHARE,
        ),
        # Pairs of neighbours in a random order, one row per pair as the API keeps an accepted request.
        (
            """
            WITH chosen AS (
                SELECT id, row_number() OVER (ORDER BY random()) AS n FROM users WHERE random() < $1
            )
            INSERT INTO accountability_partners
                (user_id, partner_user_id, initiated_by_user_id, status, accepted_at)
            SELECT a.id, b.id, a.id, 'accepted', now()
            FROM chosen a JOIN chosen b ON b.n = a.n + 1
            WHERE a.n % 2 = 1
            """,
            PARTNERED_SHARE,
        ),
        (
            """
            INSERT INTO user_achievements (user_id, achievement_type_id)
            SELECT u.id, t.id
            FROM users u CROSS JOIN achievement_types t
            WHERE t.badge_key IN ('first_checkin', 'first_goal', 'goals_3')
            """,
        ),
    ]
    await connection.execute("SELECT setseed($1)", random.Random(seed).random() * 2 - 1)
    for statement, *arguments in steps(statements, what="seeding", unit="table"):
        await connection.execute(statement, *arguments)


async def apply_app_rules(database: EngineDatabase, user_ids: list[UUID], *, now: datetime) -> None:
    """Reminder slots and morning instants as the API sets them when a goal or profile changes."""
    for offset in steps(range(0, len(user_ids), RULES_BATCH), what="slots and mornings", unit="batch"):
        batch = user_ids[offset : offset + RULES_BATCH]
        async with database.transaction() as tx:
            await rebuild_user_slots(tx.connection, batch, now=now)
            await refresh_morning_motivation(tx.connection, batch, now=now)


# Every due instant the day's jobs read, with what becomes of one outside the compressed day: a
# prompt or follow-up already past is dropped (it would otherwise fire in a burst at the start).
_DUE_COLUMNS: tuple[tuple[str, str, bool], ...] = (
    ("reminder_slots", "next_fire_at", False),
    ("users", "next_morning_motivation_at", True),
    ("check_ins", "prompt_due_at", True),
    ("check_ins", "followup_due_at", True),
    ("check_ins", "missed_due_at", True),
)


async def compress(connection: asyncpg.Connection, window: Window) -> None:
    """Move every due instant of the coming day into the window (one UPDATE per column)."""
    for table, column, nullable in _DUE_COLUMNS:
        await connection.execute(
            f"""
            UPDATE {table}
            SET {column} = CASE
                WHEN {column} > $1::timestamptz AND {column} <= $1::timestamptz + $4::interval
                    THEN $2::timestamptz + ({column} - $1::timestamptz) / $3::float8
                ELSE {"NULL" if nullable else column} END
            WHERE {column} IS NOT NULL
            """,
            window.seeded_at,
            window.start,
            window.factor,
            COMPRESSED_DAY,
        )
    await connection.execute("VACUUM ANALYZE")


async def user_ids(database: EngineDatabase) -> list[UUID]:
    async with database.transaction() as tx:
        result = await tx.connection.execute(sa.text("SELECT id FROM users ORDER BY id"))
        return [row[0] for row in result]
