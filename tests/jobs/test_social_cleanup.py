"""The social clean-up jobs (§3.4, §4): lapsed requests, partnerships of inactive accounts, orphaned inbox
rows; keyset batches of 500 that a crash or a concurrent delete cannot make skip rows."""

from __future__ import annotations

import asyncio
import itertools
from datetime import UTC, date, datetime, timedelta
from uuid import UUID

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncConnection

import workers.registry  # noqa: F401  (the actors must be registered where the scheduler looks)
from db.plans import load_plan_catalog
from db.social_cleanup import delete_lapsed_requests_batch
from db.tables import (
    accountability_partners,
    challenges,
    check_ins,
    goals,
    notification_history,
    plan_features,
    users,
    weekly_recaps,
)
from services.transaction import EngineDatabase
from tests.support.challenge_rows import insert_challenge
from tests.support.lock_waits import wait_until_a_session_waits_for_a_lock
from tests.support.recap_rows import insert_recap
from tests.support.rows import insert_goal_row, insert_user_row
from tests.support.savepoint_database import SavepointDatabase
from tests.support.social_rows import (
    inbox_entities,
    insert_inbox_row,
    insert_nudge,
    insert_partnership,
    insert_pending_requests,
    insert_users,
    nudge_ids,
    partnership_ids,
)
from workers.jobs.social_cleanup import (
    BATCH_SIZE,
    clean_inactive_users_partnerships,
    expire_partner_requests,
    plans_without_partners,
    prune_orphaned_notifications,
)
from workers.periodic_jobs import PERIODIC_JOBS

NOW = datetime(2025, 6, 2, 3, 45, tzinfo=UTC)


def distinct_pairs(user_ids: list[UUID], count: int) -> list[tuple[UUID, UUID]]:
    pairs = list(itertools.combinations(user_ids, 2))
    assert len(pairs) >= count
    return pairs[:count]


async def pending_ids(connection: AsyncConnection) -> set[UUID]:
    result = await connection.execute(
        sa.select(accountability_partners.c.id).where(accountability_partners.c.status == "pending")
    )
    return set(result.scalars())


def test_the_jobs_are_registered_with_the_crons_of_section_4() -> None:
    crons = {
        "partners.expire_requests": "45 3 * * *",
        "partners.clean_inactive_users": "0 4 * * *",
        "notifications.prune_orphans": "0 5 * * 0",
    }
    assert {name: PERIODIC_JOBS[name].cron for name in crons} == crons


async def test_expired_requests_go_across_batches_with_their_inbox_rows(
    connection: AsyncConnection, database: SavepointDatabase
) -> None:
    # Given more expired requests than two batches (many sharing an expiry instant), one expiring
    # exactly now, a few live ones and an accepted partnership, each with an inbox row
    user_ids = await insert_users(connection, 60)
    expired_count = BATCH_SIZE * 2 + 7
    pairs = distinct_pairs(user_ids, expired_count + 3)
    expiries = [NOW - timedelta(minutes=n // 4) for n in range(expired_count)]
    live_expiries = [NOW + timedelta(seconds=1), NOW + timedelta(days=1), NOW + timedelta(days=29)]
    request_ids = await insert_pending_requests(connection, pairs, expires_at=expiries + live_expiries)
    live = request_ids[expired_count:]
    accepted = await insert_partnership(connection, user_ids[-1], user_ids[-2], status="accepted")
    for request_id, (_, receiver) in zip(request_ids, pairs, strict=True):
        await insert_inbox_row(connection, receiver, "partner_request", request_id)
    await insert_inbox_row(connection, user_ids[-1], "partner_accepted", accepted)
    # When the daily job runs
    counts = await expire_partner_requests(database, now=NOW)
    # Then every request expired at or before now is gone with its inbox row; the rest stay
    assert counts["requests_deleted"] == expired_count
    assert counts["inbox_deleted"] == expired_count
    assert counts["batches"] == 3
    assert await pending_ids(connection) == set(live)
    assert await partnership_ids(connection) == {*live, accepted}
    assert await inbox_entities(connection) == {
        *(("partner_request", request_id) for request_id in live),
        ("partner_accepted", accepted),
    }
    # And a second run finds nothing
    again = await expire_partner_requests(database, now=NOW)
    assert (again["requests_deleted"], again["batches"]) == (0, 1)


async def test_requests_of_senders_without_the_partner_feature_lapse_at_once(
    connection: AsyncConnection,
) -> None:
    # Given a plan without the partner feature (its limit set to 0) ...
    await connection.execute(
        sa.update(plan_features)
        .where(
            plan_features.c.plan_id == "free", plan_features.c.feature_key == "accountability_partner_limit"
        )
        .values(feature_value=0)
    )
    lacking = plans_without_partners(await load_plan_catalog(connection))
    assert lacking == ["free"]
    # ... an unexpired request from a free sender and one from a premium sender
    free_sender, premium_sender, receiver = await insert_users(connection, 3)
    await connection.execute(sa.update(users).where(users.c.id == premium_sender).values(plan="premium"))
    from_free = await insert_partnership(
        connection, free_sender, receiver, created_at=NOW - timedelta(days=1)
    )
    from_premium = await insert_partnership(
        connection, premium_sender, receiver, created_at=NOW - timedelta(days=1)
    )
    await insert_inbox_row(connection, receiver, "partner_request", from_free)
    # When a batch runs with that plan list
    done, _ = await delete_lapsed_requests_batch(
        connection, now=NOW, plans_without_partners=lacking, after=None, limit=BATCH_SIZE
    )
    # Then the free sender's request is gone with its inbox row, the premium sender's stays
    assert (done.deleted, done.inbox_deleted) == (1, 1)
    assert await pending_ids(connection) == {from_premium}
    assert await inbox_entities(connection) == set()


async def test_with_the_seeded_plans_every_plan_has_the_partner_feature(connection: AsyncConnection) -> None:
    assert plans_without_partners(await load_plan_catalog(connection)) == []


async def test_an_offset_walk_skips_rows_while_deleting_and_the_keyset_job_does_not(
    connection: AsyncConnection, database: SavepointDatabase
) -> None:
    # Given 1,200 expired requests
    user_ids = await insert_users(connection, 60)
    pairs = distinct_pairs(user_ids, 1200)
    expiries = [NOW - timedelta(seconds=n) for n in range(len(pairs))]
    await insert_pending_requests(connection, pairs, expires_at=expiries)
    # When a naive walk deletes them page by page with OFFSET (inside a savepoint we roll back)
    async with connection.begin_nested() as trial:
        offset = 0
        while True:
            page = (
                (
                    await connection.execute(
                        sa.select(accountability_partners.c.id)
                        .where(accountability_partners.c.expires_at <= NOW)
                        .order_by(accountability_partners.c.expires_at, accountability_partners.c.id)
                        .offset(offset)
                        .limit(BATCH_SIZE)
                    )
                )
                .scalars()
                .all()
            )
            if not page:
                break
            await connection.execute(
                sa.delete(accountability_partners).where(accountability_partners.c.id.in_(page))
            )
            offset += BATCH_SIZE
        # Then the deletes shifted the later pages under it: rows were skipped and are still there
        left_by_offset = len(await pending_ids(connection))
        await trial.rollback()
    # (page 1 deleted rows 1-500; page 2, at offset 500 of the 700 left, deleted rows 1001-1200; page 3
    # found nothing: rows 501-1000 were never seen)
    assert left_by_offset == 500
    # While the keyset job deletes every one of them
    counts = await expire_partner_requests(database, now=NOW)
    assert counts["requests_deleted"] == 1200
    assert await pending_ids(connection) == set()


async def test_a_crashed_run_keeps_its_committed_batches_and_the_next_run_finishes(
    connection: AsyncConnection, database: SavepointDatabase
) -> None:
    # Given 1,100 expired requests, and a run that commits one batch and dies in the second
    user_ids = await insert_users(connection, 50)
    await insert_pending_requests(
        connection, distinct_pairs(user_ids, 1100), expires_at=[NOW - timedelta(days=1)] * 1100
    )
    async with database.transaction() as tx:
        await delete_lapsed_requests_batch(
            tx.connection, now=NOW, plans_without_partners=[], after=None, limit=BATCH_SIZE
        )
    try:
        async with database.transaction() as tx:
            await delete_lapsed_requests_batch(
                tx.connection, now=NOW, plans_without_partners=[], after=None, limit=BATCH_SIZE
            )
            raise ConnectionResetError("worker died")
    except ConnectionResetError:
        pass
    # Then the first batch's work stayed and only the dying batch's was lost
    assert len(await pending_ids(connection)) == 600
    # And the next run deletes the rest
    counts = await expire_partner_requests(database, now=NOW)
    assert counts["requests_deleted"] == 600
    assert await pending_ids(connection) == set()


async def test_partnerships_of_disabled_and_suspended_users_go_with_nudges_and_inbox_rows(
    connection: AsyncConnection, database: SavepointDatabase
) -> None:
    # Given a suspended user with an accepted partnership (nudges both ways), a disabled user's pending
    # request, a block the suspended user set, and two active users' own partnership
    suspended = await insert_user_row(connection, status="suspended")
    disabled = await insert_user_row(connection, status="disabled")
    friend, other, third, fourth = [await insert_user_row(connection) for _ in range(4)]
    accepted = await insert_partnership(connection, friend, suspended, status="accepted")
    nudges = [
        await insert_nudge(connection, accepted, friend, suspended),
        await insert_nudge(connection, accepted, suspended, friend, nudge_type="nudge"),
    ]
    request = await insert_partnership(connection, disabled, other)
    blocked = await insert_partnership(connection, suspended, third, status="blocked")
    kept = await insert_partnership(connection, other, fourth, status="accepted")
    kept_nudge = await insert_nudge(connection, kept, other, fourth)
    await insert_inbox_row(connection, friend, "partner_accepted", accepted)
    await insert_inbox_row(connection, suspended, "partner_request", accepted)
    await insert_inbox_row(connection, suspended, "nudge", nudges[0])
    await insert_inbox_row(connection, friend, "nudge", nudges[1])
    await insert_inbox_row(connection, other, "partner_request", request)
    await insert_inbox_row(connection, fourth, "nudge", kept_nudge)
    await insert_inbox_row(connection, other, "partner_accepted", kept)
    # When the daily job runs
    counts = await clean_inactive_users_partnerships(database)
    # Then the inactive users' partnerships, their nudges and every related inbox row are gone
    assert (counts["partnerships_deleted"], counts["nudges_deleted"], counts["inbox_deleted"]) == (2, 2, 5)
    assert await partnership_ids(connection) == {blocked, kept}
    assert await nudge_ids(connection) == {kept_nudge}
    assert await inbox_entities(connection) == {("nudge", kept_nudge), ("partner_accepted", kept)}
    # And a second run changes nothing
    again = await clean_inactive_users_partnerships(database)
    assert (again["partnerships_deleted"], again["inbox_deleted"]) == (0, 0)


async def test_inactive_users_are_walked_in_batches(
    connection: AsyncConnection, database: SavepointDatabase
) -> None:
    inactive = await insert_users(connection, 7, status="suspended")
    partner = await insert_user_row(connection)
    for user_id in inactive:
        await insert_partnership(connection, partner, user_id, status="accepted")
    counts = await clean_inactive_users_partnerships(database, batch_size=3)
    assert counts["partnerships_deleted"] == 7
    assert counts["batches"] == 3
    assert await partnership_ids(connection) == set()


async def test_orphaned_inbox_rows_go_and_rows_whose_entity_exists_stay(
    connection: AsyncConnection, database: SavepointDatabase
) -> None:
    # Given inbox rows for every entity type, half of whose entities are then deleted without their
    # inbox rows (as a path that forgot them would leave them), and a row without an entity
    owner, partner = await insert_user_row(connection), await insert_user_row(connection)
    gone_partner = await insert_user_row(connection)
    partnership = await insert_partnership(connection, owner, partner, status="accepted")
    gone_partnership = await insert_partnership(connection, owner, gone_partner, status="accepted")
    nudge = await insert_nudge(connection, partnership, partner, owner)
    gone_nudge = await insert_nudge(connection, partnership, owner, partner)
    goal = await insert_goal_row(connection, owner)
    gone_goal = await insert_goal_row(connection, owner, title="Gone")
    checkin = (
        await connection.execute(
            sa.insert(check_ins)
            .values(user_id=owner, goal_id=goal, check_in_date=NOW.date(), status="completed")
            .returning(check_ins.c.id)
        )
    ).scalar_one()
    recap = await insert_recap(connection, owner, date(2025, 6, 9))
    gone_recap = await insert_recap(connection, owner, date(2025, 6, 2))
    challenge = await insert_challenge(connection, owner)
    gone_challenge = await insert_challenge(connection, owner)
    kept = {
        ("challenge", challenge),
        ("weekly_recap", recap),
        ("partner_request", partnership),
        ("partner_accepted", partnership),
        ("nudge", nudge),
        ("goal", goal),
        ("checkin", checkin),
        ("user", partner),
    }
    gone = {
        ("weekly_recap", gone_recap),
        ("partner_accepted", gone_partnership),
        ("nudge", gone_nudge),
        ("goal", gone_goal),
        ("user", gone_partner),
        ("challenge", gone_challenge),
    }
    for entity_type, entity_id in kept | gone:
        await insert_inbox_row(connection, owner, entity_type, entity_id)
    await insert_inbox_row(connection, owner, "achievement", gone_nudge)  # no such badge row
    await connection.execute(
        sa.insert(notification_history).values(
            user_id=owner, notification_type="general", title="t", body="b"
        )
    )
    await connection.execute(sa.delete(goals).where(goals.c.id == gone_goal))
    await connection.execute(
        sa.delete(accountability_partners).where(accountability_partners.c.id == gone_partnership)
    )
    await connection.execute(sa.text("DELETE FROM social_nudges WHERE id = :id"), {"id": gone_nudge})
    await connection.execute(sa.delete(users).where(users.c.id == gone_partner))
    await connection.execute(sa.delete(weekly_recaps).where(weekly_recaps.c.id == gone_recap))
    await connection.execute(sa.delete(challenges).where(challenges.c.id == gone_challenge))
    # When the weekly sweep runs, in small batches
    counts = await prune_orphaned_notifications(database, batch_size=3)
    # Then exactly the orphans are gone
    assert counts["inbox_deleted"] == len(gone) + 1
    assert await inbox_entities(connection) == kept
    total = (await connection.execute(sa.text("SELECT count(*) FROM notification_history"))).scalar_one()
    assert total == len(kept) + 1


async def test_an_accept_that_wins_the_race_against_the_clean_up_is_not_undone(
    committed_database: EngineDatabase,
) -> None:
    # Given a committed request that expired a moment ago, and an accept holding it, not yet committed
    engine = committed_database.engine
    async with engine.begin() as connection:
        sender, receiver = await insert_users(connection, 2)
        (request,) = await insert_pending_requests(connection, [(sender, receiver)], expires_at=[NOW])
    async with engine.connect() as accept:
        await accept.begin()
        await accept.execute(
            sa.update(accountability_partners)
            .where(accountability_partners.c.id == request)
            .values(status="accepted", accepted_at=NOW, expires_at=None)
        )
        # When the clean-up runs meanwhile (its batch still sees the pending row) and the accept commits
        cleanup = asyncio.create_task(expire_partner_requests(committed_database, now=NOW))
        await wait_until_a_session_waits_for_a_lock(engine, "the clean-up")
        assert not cleanup.done()  # waiting for the accept's row lock
        await accept.commit()
        counts = await cleanup
    # Then the partnership stands
    assert counts["requests_deleted"] == 0
    async with engine.connect() as connection:
        status = await connection.scalar(
            sa.select(accountability_partners.c.status).where(accountability_partners.c.id == request)
        )
    assert status == "accepted"
