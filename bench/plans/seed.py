"""A year of production-shaped history, set-based (one INSERT … SELECT from generate_series per table).

Relative to the run's instant `now`:

- users spread over six time zones, one active device each, their morning instant somewhere in
  the 24 hours that started 40 minutes before `now` (so about 3 % are due);
- `goals_per_user` active daily goals, as old as their history, with one reminder slot each, due like
  the morning instants;
- per goal, `days` answered check-ins before the owner's local today (mostly completed, some
  skipped, missed or rest days), today's pending row with its prompt, follow-up and end-of-day
  instants, and for 2 % of the goals yesterday's row still pending (what the missed job closes);
- `notices_per_day` inbox rows per user and day, and one delivery per inbox row of the last
  `delivery_days` days: finished (ticket and receipt) except the last 15 minutes' (awaiting their
  receipt) and `pending_deliveries` still due. Retention keeps 25 hours of deliveries in production;
  the default keeps the year, as the audit did, so that a plan walking the table cannot hide.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

import asyncpg

from bench.scheduling.seed import seed_daily_goals, seed_slots_spread_after, seed_users

TIMEZONES = (
    "America/Los_Angeles",
    "America/New_York",
    "Europe/Madrid",
    "Asia/Kolkata",
    "Asia/Tokyo",
    "Australia/Sydney",
)
# Reminder slots and morning instants are spread over the 24 hours that began this long before `now`:
# about 3 % of them are due, a chunk's worth of slots at the default size.
DUE_WINDOW = timedelta(minutes=40)


@dataclass(frozen=True, slots=True)
class HistorySize:
    users: int
    goals_per_user: int
    days: int
    notices_per_day: int
    delivery_days: int
    pending_deliveries: int


async def seed_history(connection: asyncpg.Connection, size: HistorySize, now: datetime) -> None:
    await seed_users(connection, size.users, timezone="UTC")
    await connection.execute(
        """
        UPDATE users SET timezone = ($1::text[])[1 + abs(hashtext(id::text)) % cardinality($1::text[])],
               next_morning_motivation_at = $2::timestamptz + random() * interval '24 hours'
        """,
        list(TIMEZONES),
        now - DUE_WINDOW,
    )
    await seed_daily_goals(connection, per_user=size.goals_per_user, reminder_time="18:00")
    await seed_slots_spread_after(connection, now - DUE_WINDOW)
    await _seed_checkins(connection, size.days, now)
    await _seed_notices(connection, size, now)


async def _seed_checkins(connection: asyncpg.Connection, days: int, now: datetime) -> None:
    # The goals are as old as their history (the analytics window starts at the goal's creation).
    await connection.execute(
        "UPDATE goals SET created_at = $1::timestamptz - make_interval(days => $2 + 1)", now, days
    )
    # Answered history, in (goal, date) order so the unique key's index grows at its right edge.
    await connection.execute(
        """
        INSERT INTO check_ins (user_id, goal_id, check_in_date, status, responded_at, created_at, updated_at)
        SELECT g.user_id, g.id, d.day,
               CASE WHEN d.r < 0.08 THEN 'skipped' WHEN d.r < 0.16 THEN 'missed'
                    WHEN d.r < 0.20 THEN 'rest_day' ELSE 'completed' END,
               d.day + time '19:00', d.day + time '00:05', d.day + time '19:00'
        FROM goals AS g
        JOIN users AS u ON u.id = g.user_id
        CROSS JOIN LATERAL (
            SELECT (timezone(u.timezone, $1::timestamptz))::date - n AS day, random() AS r
            FROM generate_series(1, $2) AS n
        ) AS d
        ORDER BY g.id, d.day
        """,
        now,
        days,
    )
    # Today's pending row per goal, with the due instants the day's creation would have set: a few
    # prompts due this minute, their follow-ups two hours later (none due yet).
    await connection.execute(
        """
        INSERT INTO check_ins (user_id, goal_id, check_in_date, prompt_due_at, followup_due_at, missed_due_at)
        SELECT g.user_id, g.id, today, $1::timestamptz - interval '1 minute' + r * interval '20 hours',
               $1::timestamptz + interval '119 minutes' + r * interval '20 hours',
               timezone(u.timezone, (today + 1)::timestamp)
        FROM goals AS g
        JOIN users AS u ON u.id = g.user_id
        CROSS JOIN LATERAL (SELECT (timezone(u.timezone, $1::timestamptz))::date AS today, random() AS r) AS t
        """,
        now,
    )
    # Yesterday's row left unanswered on 2 % of the goals: due for the missed job since local midnight.
    await connection.execute(
        """
        UPDATE check_ins AS c
        SET status = 'pending', responded_at = NULL,
            missed_due_at = timezone(u.timezone, (c.check_in_date + 1)::timestamp)
        FROM users AS u
        WHERE u.id = c.user_id AND abs(hashtext(c.goal_id::text)) % 50 = 0
          AND c.check_in_date = (timezone(u.timezone, $1::timestamptz))::date - 1
        """,
        now,
    )


async def _seed_notices(connection: asyncpg.Connection, size: HistorySize, now: datetime) -> None:
    await connection.execute(
        """
        INSERT INTO notification_history (user_id, notification_type, title, body, data, entity_type,
                                          entity_id, push_status, sent_at, delivered_at,
                                          created_at, updated_at)
        SELECT g.user_id, 'ai_motivation', 'Time for ' || g.title, 'A reminder from the plan benchmark',
               jsonb_build_object('type', 'ai_motivation', 'itemType', 'goal', 'itemId', g.id),
               'goal', g.id, 'sent', at, at + interval '2 seconds', at, at
        FROM (SELECT DISTINCT ON (user_id) user_id, id, title FROM goals ORDER BY user_id, id) AS g
        CROSS JOIN LATERAL (
            SELECT $1::timestamptz - n * interval '1 day' / $3::int AS at
            FROM generate_series(1, $2::int * $3::int) AS n
        ) AS t
        """,
        now,
        size.days,
        size.notices_per_day,
    )
    await connection.execute(
        """
        INSERT INTO push_deliveries (notification_id, device_token_id, status, ticket_id, receipt_status,
                                     attempts, next_attempt_at, claimed_at, sent_at, receipt_checked_at,
                                     created_at, updated_at)
        SELECT n.id, d.id, 'sent', gen_random_uuid()::text, CASE WHEN checked THEN 'ok' END, 1,
               n.sent_at, n.sent_at, n.sent_at, CASE WHEN checked THEN n.sent_at + interval '15 minutes' END,
               n.sent_at, n.sent_at
        FROM notification_history AS n
        JOIN device_tokens AS d ON d.user_id = n.user_id
        CROSS JOIN LATERAL (SELECT n.sent_at < $1::timestamptz - interval '15 minutes' AS checked) AS receipt
        WHERE n.sent_at > $1::timestamptz - $2 * interval '1 day'
        ORDER BY n.sent_at
        """,
        now,
        size.delivery_days,
    )
    # The ones still due: inbox rows of the last minutes whose push has not gone out yet.
    await connection.execute(
        """
        WITH inbox AS (
            INSERT INTO notification_history (user_id, notification_type, title, body, entity_type, entity_id,
                                              sent_at, created_at, updated_at)
            SELECT g.user_id, 'ai_motivation', 'Time for ' || g.title, 'Due now', 'goal', g.id,
                   $1::timestamptz - interval '1 minute', $1::timestamptz - interval '1 minute',
                   $1::timestamptz - interval '1 minute'
            FROM goals AS g ORDER BY g.id LIMIT $2
            RETURNING id, user_id, created_at
        )
        INSERT INTO push_deliveries (notification_id, device_token_id, next_attempt_at,
                                     created_at, updated_at)
        SELECT inbox.id, d.id, inbox.created_at, inbox.created_at, inbox.created_at
        FROM inbox JOIN device_tokens AS d ON d.user_id = inbox.user_id
        """,
        now,
        size.pending_deliveries,
    )
