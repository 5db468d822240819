"""The challenge lifecycle jobs (§3.6, §4): status changes on the challenge's local dates, completion
with final ranks and winners exactly once, ending reminders once, abandoned and lapsed-creator
clean-ups, invite expiry."""

from __future__ import annotations

import asyncio
from datetime import UTC, date, datetime, timedelta
from typing import Any
from uuid import UUID

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine

from db.locks import try_job_lock
from db.tables import (
    achievement_types,
    challenge_invites,
    challenge_leaderboard,
    challenge_participants,
    challenges,
    notification_history,
    user_achievements,
)
from services.transaction import EngineDatabase
from settings import Settings
from tests.jobs.scheduling_support import add_user, job_context
from tests.support.challenge_rows import insert_challenge, insert_invite, insert_invite_inbox_row
from tests.support.revenuecat import deactivation_logs, make_premium
from tests.support.savepoint_database import SavepointDatabase
from workers.jobs.challenges import (
    STATUSES_JOB,
    cancel_abandoned,
    cancel_lapsed_creators,
    expire_invites,
    send_challenge_ending_reminders,
    update_statuses,
)

# Monday 2 June 2025, 12:00 UTC: 3 June 02:00 in Kiritimati (UTC+14), 2 June 02:00 in Honolulu.
NOW = datetime(2025, 6, 2, 12, 0, tzinfo=UTC)
JUNE_1, JUNE_2, JUNE_3 = date(2025, 6, 1), date(2025, 6, 2), date(2025, 6, 3)


async def premium_user(connection: AsyncConnection) -> UUID:
    user_id = await add_user(connection)
    await make_premium(connection, user_id)
    return user_id


async def users(connection: AsyncConnection, count: int) -> list[UUID]:
    return [await add_user(connection) for _ in range(count)]


async def challenge_row(connection: AsyncConnection, challenge_id: UUID) -> Any:
    return (await connection.execute(sa.select(challenges).where(challenges.c.id == challenge_id))).one()


async def challenge_notices(connection: AsyncConnection, challenge_id: UUID) -> list[Any]:
    result = await connection.execute(
        sa.select(notification_history.c.user_id, notification_history.c.title, notification_history.c.data)
        .where(notification_history.c.entity_id == challenge_id)
        .order_by(notification_history.c.user_id)
    )
    return list(result)


async def test_upcoming_challenges_start_on_their_own_local_date(
    connection: AsyncConnection, database: SavepointDatabase, settings: Settings
) -> None:
    # Given three challenges starting on 3 June: in Kiritimati (already 3 June), in UTC and in Honolulu
    creator = await premium_user(connection)
    kiritimati = await insert_challenge(connection, creator, start_date=JUNE_3, timezone="Pacific/Kiritimati")
    utc = await insert_challenge(connection, creator, start_date=JUNE_3)
    honolulu = await insert_challenge(connection, creator, start_date=JUNE_3, timezone="Pacific/Honolulu")

    async def statuses_at(instant: datetime) -> list[str]:
        await update_statuses(database, now=instant)
        return [(await challenge_row(connection, c)).status for c in (kiritimati, utc, honolulu)]

    # When the status job runs at 12:00 UTC on 2 June, at UTC midnight and at 10:00 UTC on 3 June
    # Then each starts when its own local date reaches 3 June
    assert await statuses_at(NOW) == ["active", "upcoming", "upcoming"]
    assert await statuses_at(NOW + timedelta(hours=12)) == ["active", "active", "upcoming"]
    assert await statuses_at(NOW + timedelta(hours=21, minutes=59)) == ["active", "active", "upcoming"]
    assert await statuses_at(NOW + timedelta(hours=22)) == ["active", "active", "active"]


async def test_a_challenge_whose_creator_lost_premium_is_cancelled_at_its_start(
    connection: AsyncConnection, database: SavepointDatabase, settings: Settings
) -> None:
    # Given a due challenge of a free creator with two participants and a pending invite with its notice
    creator = await add_user(connection)
    joined = await users(connection, 2)
    invited = await add_user(connection)
    challenge_id = await insert_challenge(connection, creator, joined, start_date=JUNE_2)
    expires = NOW + timedelta(days=5)
    invite = await insert_invite(connection, challenge_id, creator, invited, expires_at=expires)
    await insert_invite_inbox_row(connection, invited, challenge_id, invite, creator, expires_at=expires)
    # When the status job runs
    counts = await update_statuses(database, now=NOW)
    # Then it is cancelled for that reason, the invite and its notice are gone, and the two were told
    row = await challenge_row(connection, challenge_id)
    assert (row.status, row.cancelled_reason, row.cancelled_at) == (
        "cancelled",
        "creator_subscription_expired",
        NOW,
    )
    assert (await connection.execute(sa.select(challenge_invites.c.id))).all() == []
    notices = await challenge_notices(connection, challenge_id)
    assert sorted(n.user_id for n in notices) == sorted(joined)
    assert {n.data["type"] for n in notices} == {"challenge_cancelled"}
    assert (counts["cancelled"], counts["notified"], counts["invites_deleted"]) == (1, 2, 1)


async def test_activation_closes_joining_unless_a_later_deadline_keeps_it_open(
    connection: AsyncConnection, database: SavepointDatabase, settings: Settings
) -> None:
    creator, invited = await premium_user(connection), await add_user(connection)
    closing = await insert_challenge(connection, creator, start_date=JUNE_2)
    open_longer = await insert_challenge(
        connection, creator, start_date=JUNE_2, join_deadline=date(2025, 6, 9)
    )
    for challenge_id in (closing, open_longer):
        await insert_invite(connection, challenge_id, creator, invited)
    await update_statuses(database, now=NOW)
    left = (await connection.execute(sa.select(challenge_invites.c.challenge_id))).scalars().all()
    assert left == [open_longer]


async def test_completion_freezes_ranks_names_tied_winners_and_tells_everyone(
    connection: AsyncConnection, database: SavepointDatabase, settings: Settings
) -> None:
    # Given an active challenge that ended yesterday with points 30, 30, 10 and 0
    creator = await premium_user(connection)
    others = await users(connection, 3)
    challenge_id = await insert_challenge(
        connection,
        creator,
        others,
        points=[30, 30, 10, 0],
        status="active",
        start_date=JUNE_1 - timedelta(days=29),
    )
    # When the status job runs
    counts = await update_statuses(database, now=NOW)
    # Then it is completed with competition ranks stored and completed_at on everyone
    row = await challenge_row(connection, challenge_id)
    assert row.status == "completed"
    members = [creator, *others]
    ranks = dict(
        (
            await connection.execute(sa.select(challenge_leaderboard.c.user_id, challenge_leaderboard.c.rank))
        ).all()
    )
    assert [ranks[user] for user in members] == [1, 1, 3, 4]
    completed_at = (
        (await connection.execute(sa.select(challenge_participants.c.completed_at))).scalars().all()
    )
    assert completed_at == [NOW] * 4
    # And the metadata names both winners
    assert sorted(row.metadata["winner_user_ids"]) == sorted([str(creator), str(others[0])])
    assert (
        row.metadata["top_score"],
        row.metadata["total_participants"],
        row.metadata["rankings_finalized"],
    ) == (
        30,
        4,
        True,
    )
    # And the tied winners hear it's a tie, the others their rank
    notices = {n.user_id: n for n in await challenge_notices(connection, challenge_id)}
    assert notices[creator].title.startswith("It's a tie")
    assert notices[others[0]].data["isWinner"] is True
    assert (notices[others[1]].data["rank"], notices[others[2]].data["points"]) == (3, 0)
    assert (counts["completed"], counts["notified"], counts["winners"]) == (1, 4, 2)
    # And the winners unlocked "First Victory"
    won = await connection.execute(
        sa.select(user_achievements.c.user_id)
        .join(achievement_types, achievement_types.c.id == user_achievements.c.achievement_type_id)
        .where(achievement_types.c.badge_key == "first_win")
    )
    assert sorted(won.scalars()) == sorted([creator, others[0]])


async def test_nobody_wins_on_zero_points_and_completion_waits_for_the_local_date(
    connection: AsyncConnection, database: SavepointDatabase, settings: Settings
) -> None:
    creator = await premium_user(connection)
    ended = await insert_challenge(
        connection, creator, await users(connection, 1), status="active", start_date=JUNE_1, duration_days=1
    )
    # Ends 2 June in Kiritimati, where it is 3 June already; in UTC it is still its last day
    kiritimati = await insert_challenge(
        connection,
        creator,
        status="active",
        start_date=JUNE_2,
        duration_days=1,
        timezone="Pacific/Kiritimati",
    )
    last_day = await insert_challenge(
        connection, creator, status="active", start_date=JUNE_2, duration_days=1
    )
    await update_statuses(database, now=NOW)
    assert [(await challenge_row(connection, c)).status for c in (ended, kiritimati, last_day)] == [
        "completed",
        "completed",
        "active",
    ]
    assert (await challenge_row(connection, ended)).metadata["winner_user_ids"] == []
    assert {n.data["isWinner"] for n in await challenge_notices(connection, ended)} == {False}


async def test_two_concurrent_runs_complete_a_challenge_once(
    committed_database: EngineDatabase, settings: Settings
) -> None:
    # Given a committed active challenge of 8 participants that has ended
    async with committed_database.transaction() as tx:
        creator = await premium_user(tx.connection)
        others = await users(tx.connection, 7)
        challenge_id = await insert_challenge(
            tx.connection,
            creator,
            others,
            points=[5 * n for n in range(8)],
            status="active",
            start_date=JUNE_1,
            duration_days=1,
        )
    # When two runs go at once (two scheduler processes), then a third
    results = await asyncio.gather(
        update_statuses(committed_database, now=NOW), update_statuses(committed_database, now=NOW)
    )
    third = await update_statuses(committed_database, now=NOW + timedelta(minutes=15))
    # Then it was completed once and every participant got one result notice
    assert sum(result["completed"] for result in results) + third["completed"] == 1
    async with committed_database.transaction() as tx:
        notices = await challenge_notices(tx.connection, challenge_id)
        assert sorted(n.user_id for n in notices) == sorted([creator, *others])
        assert (await challenge_row(tx.connection, challenge_id)).metadata["winner_user_ids"] == [
            str(others[-1])
        ]


async def test_a_run_finds_the_lock_taken_and_does_nothing(
    connection: AsyncConnection, database: SavepointDatabase, settings: Settings, engine: AsyncEngine
) -> None:
    creator = await premium_user(connection)
    challenge_id = await insert_challenge(connection, creator, start_date=JUNE_2)
    async with engine.connect() as other, other.begin():
        assert await try_job_lock(other, STATUSES_JOB)
        counts = await update_statuses(database, now=NOW)
    assert counts == {"locked": 1}
    assert (await challenge_row(connection, challenge_id)).status == "upcoming"


async def test_ending_reminders_go_out_at_the_local_ten_oclock_once(
    connection: AsyncConnection, database: SavepointDatabase, settings: Settings
) -> None:
    # Given active UTC challenges ending in 3 days, today and in 2 days, and one in Honolulu ending today
    creator = await premium_user(connection)
    member = await add_user(connection)
    soon = await insert_challenge(
        connection, creator, [member], status="active", start_date=JUNE_1, duration_days=5
    )
    today = await insert_challenge(
        connection, creator, [member], status="active", start_date=JUNE_1, duration_days=2
    )
    neither = await insert_challenge(
        connection, creator, [member], status="active", start_date=JUNE_1, duration_days=4
    )
    honolulu = await insert_challenge(
        connection,
        creator,
        [member],
        status="active",
        start_date=JUNE_1,
        duration_days=2,
        timezone="Pacific/Honolulu",
    )
    ten = datetime(2025, 6, 2, 10, 0, tzinfo=UTC)
    context = job_context(database, settings)
    # When the hourly job runs at 10:00 UTC, and again in the same hour
    first = await send_challenge_ending_reminders(context, ten)
    again = await send_challenge_ending_reminders(context, ten + timedelta(minutes=30))
    # Then both participants of the UTC challenges got ending_soon / final_day once; nobody else
    kinds = {
        challenge_id: sorted(
            (n.user_id, n.data["messageType"]) for n in await challenge_notices(connection, challenge_id)
        )
        for challenge_id in (soon, today, neither, honolulu)
    }
    assert kinds[soon] == sorted([(creator, "ending_soon"), (member, "ending_soon")])
    assert kinds[today] == sorted([(creator, "final_day"), (member, "final_day")])
    assert kinds[neither] == kinds[honolulu] == []
    assert (first["notified"], again["notified"]) == (4, 0)


async def test_abandoned_challenges_are_cancelled_and_their_creator_told(
    connection: AsyncConnection, database: SavepointDatabase, settings: Settings
) -> None:
    creator = await premium_user(connection)
    alone = await insert_challenge(connection, creator, start_date=date(2025, 6, 10), join_deadline=JUNE_1)
    joined = await insert_challenge(
        connection, creator, [await add_user(connection)], start_date=date(2025, 6, 10), join_deadline=JUNE_1
    )
    still_open = await insert_challenge(
        connection, creator, start_date=date(2025, 6, 10), join_deadline=JUNE_2
    )
    counts = await cancel_abandoned(database, now=NOW, batch_size=2)
    rows = [await challenge_row(connection, c) for c in (alone, joined, still_open)]
    assert [(row.status, row.cancelled_reason) for row in rows] == [
        ("cancelled", "no_participants"),
        ("upcoming", None),
        ("upcoming", None),
    ]
    (notice,) = await challenge_notices(connection, alone)
    assert (notice.user_id, notice.data["reason"]) == (creator, "no_participants")
    assert (counts["cancelled"], counts["notified"]) == (1, 1)


async def test_the_daily_cleanup_cancels_challenges_of_creators_without_premium(
    connection: AsyncConnection, database: SavepointDatabase, settings: Settings
) -> None:
    # Given a free creator's upcoming and active challenges (the teardown missed them) and a premium one's
    lapsed, premium = await add_user(connection), await premium_user(connection)
    member = await add_user(connection)
    missed = [
        await insert_challenge(connection, lapsed, [member], start_date=date(2025, 6, 10)),
        await insert_challenge(connection, lapsed, [member], status="active", start_date=JUNE_1),
    ]
    kept = await insert_challenge(connection, premium, [member], status="active", start_date=JUNE_1)
    # When the cleanup runs, in batches of 2
    counts = await cancel_lapsed_creators(database, now=NOW, batch_size=2)
    # Then the free creator's are cancelled, the participant told of each, and it is logged
    assert [(await challenge_row(connection, c)).status for c in (*missed, kept)] == [
        "cancelled",
        "cancelled",
        "active",
    ]
    told = [[n.user_id for n in await challenge_notices(connection, c)] for c in missed]
    assert told == [[member], [member]]
    # (one log row per batch that cancelled some: two when the creator's challenges straddle a batch end)
    logs = await deactivation_logs(connection, lapsed)
    assert {log.deactivation_reason for log in logs} == {"subscription_expired_cleanup"}
    assert sum(log.challenges_cancelled for log in logs) == 2
    assert sorted(i for log in logs for i in log.cancelled_challenge_ids) == sorted(str(c) for c in missed)
    assert (counts["examined"], counts["cancelled"], counts["notified"]) == (3, 2, 2)


async def test_expired_invites_are_marked_and_their_notices_deleted(
    connection: AsyncConnection, database: SavepointDatabase, settings: Settings
) -> None:
    creator = await premium_user(connection)
    invited = await users(connection, 3)
    challenge_id = await insert_challenge(connection, creator, start_date=date(2025, 6, 10))
    past, future = NOW - timedelta(minutes=1), NOW + timedelta(days=1)
    expired = await insert_invite(connection, challenge_id, creator, invited[0], expires_at=past)
    pending = await insert_invite(connection, challenge_id, creator, invited[1], expires_at=future)
    accepted = await insert_invite(
        connection, challenge_id, creator, invited[2], expires_at=past, status="accepted"
    )
    for user, invite, expiry in zip(invited, (expired, pending, accepted), (past, future, past), strict=True):
        await insert_invite_inbox_row(connection, user, challenge_id, invite, creator, expires_at=expiry)
    counts = await expire_invites(database, now=NOW, batch_size=1)
    statuses = dict(
        (await connection.execute(sa.select(challenge_invites.c.id, challenge_invites.c.status))).all()
    )
    assert [statuses[i] for i in (expired, pending, accepted)] == ["expired", "pending", "accepted"]
    assert sorted(n.user_id for n in await challenge_notices(connection, challenge_id)) == sorted(invited[1:])
    assert (counts["expired"], counts["inbox_deleted"]) == (1, 1)
