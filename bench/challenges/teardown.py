"""Creator teardown at scale: a creator with 50 challenges × 2,000 participants loses premium.

    .venv/bin/python -m bench.challenges.teardown [--challenges 50] [--participants 2000]
        [--processes 2] [--threads 4]

On a scratch database: one premium creator (users.plan premium, no subscription left, so the teardown
takes them); `--challenges` open challenges (half upcoming, half active) of `--participants` distinct
participants each (one device each), plus the creator, leaderboard rows with points, and 10 pending
invites per challenge with their challenge_invite inbox rows; the creator also joined 3 challenges of
someone else. All seeded with INSERT … SELECT. Then, in the same run:

1. the ceiling: ONE INSERT … SELECT of the same cancellation notices (an inbox row per participant and
   challenge) and ONE of their delivery rows, timed, then rolled back;
2. real `dramatiq` worker processes on the `challenge_notices` queue only (the push.deliver wake-ups
   they enqueue wait: delivering to Expo is the push benchmark's business);
3. the downgrade teardown (`tear_down_lapsed_premium`) in one transaction, every statement recorded
   (bench/recorded_statements.py): time to commit and statements issued; then the chunk messages sent
   after the commit; then the time until every notice is an inbox row with its delivery row.

Prints the teardown's commit time and statement count, the notices/s end to end and as a ratio to the
ceiling's rows/s.
"""

from __future__ import annotations

from bench.scheduling.scratch import asyncpg_dsn, scratch_database, use_scratch_environment

SCRATCH = use_scratch_environment("challenge_teardown")

import argparse  # noqa: E402
import asyncio  # noqa: E402
import time  # noqa: E402
from collections.abc import Sequence  # noqa: E402
from datetime import UTC, datetime  # noqa: E402
from uuid import UUID  # noqa: E402

import asyncpg  # noqa: E402

from bench.recorded_statements import recorded_statements  # noqa: E402
from bench.scheduling.herd_support import drop_namespace, running_workers  # noqa: E402
from bench.scheduling.seed import analyze, seed_users  # noqa: E402
from db.engine import create_engine  # noqa: E402
from db.plans import plan_catalog  # noqa: E402
from services.addresses import CHALLENGE_NOTICES_QUEUE  # noqa: E402
from services.billing.teardown import DeactivationReason, tear_down_lapsed_premium  # noqa: E402
from services.messages import MessageSender, OutgoingMessage  # noqa: E402
from services.transaction import Transaction  # noqa: E402
from workers.broker import broker  # noqa: E402

INVITES_PER_CHALLENGE = 10
JOINED_ELSEWHERE = 3


class CountingSender(MessageSender):
    """Sends like the real one and counts what it sent (the chunk messages of the teardown)."""

    sent = 0

    def send_blocking(self, messages: Sequence[OutgoingMessage]) -> None:
        self.sent += len(messages)
        super().send_blocking(messages)


async def seed(connection: asyncpg.Connection, challenges: int, participants: int) -> UUID:
    """The creator, their challenges with participants, leaderboard rows and invites; returns the creator."""
    # Participants, the users invited, the creator and the host of the challenges the creator joined.
    await seed_users(connection, challenges * participants + INVITES_PER_CHALLENGE + 2, timezone="UTC")
    creator: UUID = await connection.fetchval(
        "UPDATE users SET plan = 'premium' WHERE email = 'bench1@example.com' RETURNING id"
    )
    host: UUID = await connection.fetchval("SELECT id FROM users WHERE email = 'bench2@example.com'")
    await connection.execute(
        """
        INSERT INTO challenges (title, challenge_type, duration_days, start_date, end_date, timezone,
                                created_by, status)
        SELECT 'Bench challenge ' || k, 'streak', 30, current_date - 5, current_date + 24, 'UTC', $1,
               CASE WHEN k % 2 = 0 THEN 'active' ELSE 'upcoming' END
        FROM generate_series(1, $2::int) AS k
        """,
        creator,
        challenges,
    )
    await connection.execute(
        "CREATE TEMP TABLE numbered AS SELECT row_number() OVER (ORDER BY id) AS n, id FROM users"
        " WHERE id NOT IN ($1, $2)",
        creator,
        host,
    )
    await connection.execute(
        "CREATE TEMP TABLE numbered_challenges AS"
        " SELECT row_number() OVER (ORDER BY id) AS k, id FROM challenges"
    )
    await connection.execute(
        "INSERT INTO challenge_participants (challenge_id, user_id, joined_at)"
        " SELECT id, $1, now() - interval '1 day' FROM challenges",
        creator,
    )
    await connection.execute(
        """
        INSERT INTO challenge_participants (challenge_id, user_id)
        SELECT c.id, u.id FROM numbered_challenges c JOIN numbered u ON (u.n - 1) / $1::int = c.k - 1
        WHERE u.n <= $1::int * $2::int
        """,
        participants,
        challenges,
    )
    # Challenges of someone else that the creator joined (trimmed to the free limit of 1).
    await connection.execute(
        """
        WITH others AS (
            INSERT INTO challenges (title, challenge_type, duration_days, start_date, end_date, timezone,
                                    created_by)
            SELECT 'Joined ' || j, 'streak', 30, current_date + 1, current_date + 30, 'UTC', $1
            FROM generate_series(1, $3::int) AS j
            RETURNING id
        )
        INSERT INTO challenge_participants (challenge_id, user_id) SELECT id, $2 FROM others
        """,
        host,
        creator,
        JOINED_ELSEWHERE,
    )
    await connection.execute(
        "INSERT INTO challenge_leaderboard (challenge_id, user_id, points)"
        " SELECT challenge_id, user_id, (random() * 100)::int FROM challenge_participants"
    )
    # Pending invites to the users outside every challenge, each with its inbox row.
    await connection.execute(
        """
        WITH invited AS (
            INSERT INTO challenge_invites (challenge_id, invite_type, invited_by_user_id, invited_user_id,
                                           expires_at)
            SELECT c.id, 'direct', $1, u.id, now() + interval '7 days'
            FROM numbered_challenges c JOIN numbered u ON u.n > $2::int * $3::int
            RETURNING id, challenge_id, invited_user_id
        )
        INSERT INTO notification_history (user_id, notification_type, title, body, data, entity_type,
                                          entity_id, push_status)
        SELECT invited_user_id, 'challenge_invite', 'Challenge invite', 'You are invited',
               jsonb_build_object('type', 'challenge_invite', 'challengeId', challenge_id::text,
                                  'inviteId', id::text, 'deepLink', '/(user)/challenges/invites'),
               'challenge', challenge_id, 'skipped'
        FROM invited
        """,
        creator,
        participants,
        challenges,
    )
    return creator


async def ceiling_seconds(connection: asyncpg.Connection, creator: UUID) -> float:
    """ONE INSERT … SELECT of an inbox row per participant (not the creator) and challenge, ONE of their
    delivery rows; timed, then rolled back."""
    transaction = connection.transaction()
    await transaction.start()
    started = time.perf_counter()
    await connection.execute(
        """
        INSERT INTO notification_history (user_id, notification_type, title, body, data, entity_type,
                                          entity_id, dedupe_key, push_status)
        SELECT p.user_id, 'challenge', 'Challenge cancelled',
               c.title || ' was cancelled because its creator''s Premium plan ended.',
               jsonb_build_object('type', 'challenge_cancelled', 'challenge_id', c.id::text,
                                  'reason', 'creator_subscription_expired',
                                  'deepLink', '/(user)/challenges/' || c.id),
               'challenge', c.id, 'challenge_cancelled:' || c.id || ':' || p.user_id, 'pending'
        FROM challenges c JOIN challenge_participants p ON p.challenge_id = c.id
        WHERE c.created_by = $1 AND p.user_id <> $1
        """,
        creator,
    )
    await connection.execute(
        """
        INSERT INTO push_deliveries (notification_id, device_token_id, next_attempt_at)
        SELECT n.id, d.id, now() FROM notification_history n JOIN device_tokens d USING (user_id)
        WHERE n.notification_type = 'challenge'
        """
    )
    seconds = time.perf_counter() - started
    await transaction.rollback()
    return seconds


async def delivered(connection: asyncpg.Connection) -> tuple[int, int]:
    row = await connection.fetchrow(
        "SELECT count(*) AS notices, count(d.id) AS deliveries FROM notification_history n"
        " LEFT JOIN push_deliveries d ON d.notification_id = n.id"
        " WHERE n.notification_type = 'challenge' AND n.data ->> 'type' = 'challenge_cancelled'"
    )
    return int(row["notices"]), int(row["deliveries"])


async def run(challenges: int, participants: int, processes: int, threads: int) -> None:
    notices = challenges * participants
    async with scratch_database(SCRATCH) as url:
        connection = await asyncpg.connect(asyncpg_dsn(url))
        started = time.perf_counter()
        creator = await seed(connection, challenges, participants)
        await analyze(connection)
        print(
            f"seeded {challenges} challenges × {participants} participants (+ devices, leaderboard rows, "
            f"{challenges * INVITES_PER_CHALLENGE} invites) in {time.perf_counter() - started:.1f} s"
        )
        ceiling_s = await ceiling_seconds(connection, creator)
        ceiling_rate = notices / ceiling_s
        print(
            f"ceiling: INSERT … SELECT of {notices} inbox + {notices} delivery rows: {ceiling_s:.2f} s "
            f"= {ceiling_rate:,.0f} notices/s"
        )

        engine = create_engine(url, process_name="bench")
        sender = CountingSender(broker)
        try:
            async with engine.connect() as warm_up:
                await plan_catalog(warm_up)  # the cached catalogue, as in a process that has been running
            async with running_workers(processes, threads, queues=(CHALLENGE_NOTICES_QUEUE,)):
                with recorded_statements(engine) as recorded:
                    started = time.perf_counter()
                    async with engine.connect() as db_connection:
                        tx = Transaction(db_connection)
                        async with db_connection.begin():
                            (report,) = await tear_down_lapsed_premium(
                                tx,
                                [creator],
                                reason=DeactivationReason.SUBSCRIPTION_EXPIRED,
                                now=datetime.now(UTC),
                            )
                        committed_s = time.perf_counter() - started
                        await tx.run_after_commit(sender)
                        sent_s = time.perf_counter() - started
                statements = [
                    s for s, _ in recorded if not s.lstrip().upper().startswith(("BEGIN", "COMMIT"))
                ]
                while True:
                    written = await delivered(connection)
                    if written == (notices, notices):
                        break
                    await asyncio.sleep(0.05)
                done_s = time.perf_counter() - started
        finally:
            await engine.dispose()
        await connection.close()
    await drop_namespace(SCRATCH.namespace)

    rate = notices / done_s
    print(
        f"teardown committed in {committed_s * 1000:.0f} ms with {len(statements)} statements: "
        f"{len(report.cancelled_challenge_ids)} challenges cancelled, {len(report.left_challenge_ids)} left"
    )
    print(f"{sender.sent} chunk messages of ≤ 50 sent after commit: {(sent_s - committed_s) * 1000:.0f} ms")
    print(
        f"teardown start → all {written[0]} notices with {written[1]} delivery rows: {done_s:.2f} s "
        f"= {rate:,.0f} notices/s ({processes} worker processes × {threads} threads)"
    )
    print(f"ratio to the INSERT … SELECT ceiling: {rate / ceiling_rate:.2f}")


def main() -> None:
    parser = argparse.ArgumentParser(prog="python -m bench.challenges.teardown")
    parser.add_argument("--challenges", type=int, default=50)
    parser.add_argument("--participants", type=int, default=2000)
    parser.add_argument("--processes", type=int, default=2)
    parser.add_argument("--threads", type=int, default=4)
    arguments = parser.parse_args()
    asyncio.run(run(arguments.challenges, arguments.participants, arguments.processes, arguments.threads))


if __name__ == "__main__":
    main()
