"""The downgrade teardown (§3.8): archive active goals over the free cap (oldest kept), drop their
pending check-ins and reminder slots, log, announce; once per transition (a second run changes nothing)."""

from __future__ import annotations

import uuid
from datetime import UTC, date, datetime, timedelta
from typing import Any
from uuid import UUID

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncConnection

from db.tables import check_ins, goals, reminder_slots, subscriptions, users
from services.billing.teardown import DeactivationReason, tear_down_lapsed_premium
from services.transaction import Transaction
from tests.support.revenuecat import (
    add_goals,
    cached_plan,
    deactivation_logs,
    goal_statuses,
    make_premium,
    subscription_notices,
)
from tests.support.social_rows import inbox_entities, insert_inbox_row, insert_partnership, partnership_ids

NOW = datetime(2025, 6, 2, 12, 0, tzinfo=UTC)
TODAY = date(2025, 6, 2)


async def add_user(connection: AsyncConnection) -> UUID:
    tag = uuid.uuid4().hex[:10]
    user_id: UUID = (
        await connection.execute(
            sa.insert(users)
            .values(email=f"t-{tag}@example.com", username=f"t_{tag}", name=f"T {tag}")
            .returning(users.c.id)
        )
    ).scalar_one()
    return user_id


async def lapsed_premium_user(connection: AsyncConnection) -> UUID:
    """A user whose subscription just expired while users.plan still says premium."""
    user_id = await add_user(connection)
    await make_premium(connection, user_id)
    await connection.execute(
        sa.update(subscriptions).where(subscriptions.c.user_id == user_id).values(status="expired")
    )
    return user_id


async def add_daily_rows(connection: AsyncConnection, user_id: UUID, goal_ids: list[UUID]) -> None:
    """Today's pending check-in, yesterday's completed one and an 18:00 reminder slot per goal."""
    await connection.execute(
        sa.insert(check_ins),
        [
            {"user_id": user_id, "goal_id": goal_id, "check_in_date": day, "status": status}
            for goal_id in goal_ids
            for day, status in ((TODAY, "pending"), (TODAY - timedelta(days=1), "completed"))
        ],
    )
    await connection.execute(
        sa.insert(reminder_slots),
        [
            {
                "user_id": user_id,
                "goal_id": goal_id,
                "reminder_time": "18:00",
                "next_fire_at": NOW + timedelta(hours=6),
            }
            for goal_id in goal_ids
        ],
    )


async def rows_of(connection: AsyncConnection, goal_ids: list[UUID]) -> dict[str, Any]:
    pending = await connection.execute(
        sa.select(check_ins.c.goal_id).where(
            check_ins.c.goal_id.in_(goal_ids), check_ins.c.status == "pending"
        )
    )
    completed = await connection.execute(
        sa.select(check_ins.c.goal_id).where(
            check_ins.c.goal_id.in_(goal_ids), check_ins.c.status == "completed"
        )
    )
    slots = await connection.execute(
        sa.select(reminder_slots.c.goal_id).where(reminder_slots.c.goal_id.in_(goal_ids))
    )
    return {
        "pending": set(pending.scalars()),
        "completed": set(completed.scalars()),
        "slots": set(slots.scalars()),
    }


async def snapshot(connection: AsyncConnection, user_id: UUID, goal_ids: list[UUID]) -> Any:
    return (
        await cached_plan(connection, user_id),
        await goal_statuses(connection, goal_ids),
        await rows_of(connection, goal_ids),
        len(await deactivation_logs(connection, user_id)),
        len(await subscription_notices(connection, user_id)),
    )


async def test_teardown_keeps_the_two_oldest_active_goals_and_archives_the_rest(
    connection: AsyncConnection,
) -> None:
    # Given a lapsed premium user with 5 active goals and 1 paused one, created in that order
    user_id = await lapsed_premium_user(connection)
    active = await add_goals(connection, user_id, 5, first_created=NOW - timedelta(days=30))
    (paused,) = await add_goals(
        connection, user_id, 1, status="paused", first_created=NOW - timedelta(days=40)
    )
    await add_daily_rows(connection, user_id, active)
    # When the teardown runs
    result = await tear_down_lapsed_premium(
        Transaction(connection),
        [user_id],
        reason=DeactivationReason.SUBSCRIPTION_EXPIRED,
        webhook_event_id="evt-1",
        now=NOW,
    )
    # Then the 2 oldest active goals stay, the 3 others are archived, the paused one stays paused
    assert await goal_statuses(connection, [*active, paused]) == [
        "active",
        "active",
        "archived",
        "archived",
        "archived",
        "paused",
    ]
    (report,) = result
    assert (report.user_id, set(report.archived_goal_ids)) == (user_id, set(active[2:]))
    # And only the archived goals lost their pending rows and slots; answered history stays
    rows = await rows_of(connection, active)
    assert rows == {"pending": set(active[:2]), "completed": set(active), "slots": set(active[:2])}
    # And the user is free, the change is logged and announced
    assert await cached_plan(connection, user_id) == "free"
    (log,) = await deactivation_logs(connection, user_id)
    assert (log.deactivation_reason, log.goals_deactivated, log.webhook_event_id) == (
        "subscription_expired",
        3,
        "evt-1",
    )
    assert set(log.deactivated_goal_ids) == {str(goal_id) for goal_id in active[2:]}
    (notice,) = await subscription_notices(connection, user_id)
    assert (notice.title, notice.data["type"]) == ("Your Premium plan has ended", "subscription_expired")
    assert "archived 3 goals" in notice.body


async def test_goals_created_at_the_same_instant_are_ranked_by_id(connection: AsyncConnection) -> None:
    user_id = await lapsed_premium_user(connection)
    created = NOW - timedelta(days=3)
    result = await connection.execute(
        sa.insert(goals).returning(goals.c.id),
        [
            {"user_id": user_id, "title": f"Twin {n}", "frequency_type": "daily", "created_at": created}
            for n in range(3)
        ],
    )
    twins = sorted(result.scalars())
    await tear_down_lapsed_premium(
        Transaction(connection), [user_id], reason=DeactivationReason.SUBSCRIPTION_EXPIRED, now=NOW
    )
    assert await goal_statuses(connection, twins) == ["active", "active", "archived"]


async def test_a_second_run_changes_nothing(connection: AsyncConnection) -> None:
    # Given a teardown that already ran
    user_id = await lapsed_premium_user(connection)
    goal_ids = await add_goals(connection, user_id, 4, first_created=NOW - timedelta(days=10))
    await add_daily_rows(connection, user_id, goal_ids)
    await tear_down_lapsed_premium(
        Transaction(connection), [user_id], reason=DeactivationReason.SUBSCRIPTION_EXPIRED, now=NOW
    )
    after_first = await snapshot(connection, user_id, goal_ids)
    # When it runs again
    again = await tear_down_lapsed_premium(
        Transaction(connection),
        [user_id],
        reason=DeactivationReason.SUBSCRIPTION_EXPIRED,
        now=NOW + timedelta(minutes=5),
    )
    # Then nothing changes: no archive, no log row, no notice
    assert again == []
    assert await snapshot(connection, user_id, goal_ids) == after_first


async def test_a_user_whose_subscription_still_grants_premium_is_left_alone(
    connection: AsyncConnection,
) -> None:
    for status in ("active", "trial", "grace_period"):
        user_id = await add_user(connection)
        await make_premium(connection, user_id, status=status)
        goal_ids = await add_goals(connection, user_id, 4, first_created=NOW - timedelta(days=10))
        result = await tear_down_lapsed_premium(
            Transaction(connection), [user_id], reason=DeactivationReason.SUBSCRIPTION_EXPIRED, now=NOW
        )
        assert result == []
        assert await goal_statuses(connection, goal_ids) == ["active"] * 4
        assert await cached_plan(connection, user_id) == "premium"


async def test_a_user_within_the_free_cap_is_still_logged_and_told(connection: AsyncConnection) -> None:
    user_id = await lapsed_premium_user(connection)
    goal_ids = await add_goals(connection, user_id, 2, first_created=NOW - timedelta(days=10))
    await tear_down_lapsed_premium(
        Transaction(connection), [user_id], reason=DeactivationReason.TRANSFER, now=NOW
    )
    assert await goal_statuses(connection, goal_ids) == ["active", "active"]
    (log,) = await deactivation_logs(connection, user_id)
    assert (log.deactivation_reason, log.goals_deactivated, log.deactivated_goal_ids) == ("transfer", 0, [])
    (notice,) = await subscription_notices(connection, user_id)
    assert "archived" not in notice.body


async def test_several_users_are_torn_down_together_each_keeping_their_own_oldest(
    connection: AsyncConnection,
) -> None:
    first, second = await lapsed_premium_user(connection), await lapsed_premium_user(connection)
    first_goals = await add_goals(connection, first, 3, first_created=NOW - timedelta(days=9))
    second_goals = await add_goals(connection, second, 3, first_created=NOW - timedelta(days=20))
    result = await tear_down_lapsed_premium(
        Transaction(connection), [first, second], reason=DeactivationReason.SUBSCRIPTION_EXPIRED, now=NOW
    )
    assert {report.user_id for report in result} == {first, second}
    assert await goal_statuses(connection, first_goals) == ["active", "active", "archived"]
    assert await goal_statuses(connection, second_goals) == ["active", "active", "archived"]


async def test_the_requests_the_user_sent_go_with_their_inbox_rows_and_partnerships_stay(
    connection: AsyncConnection,
) -> None:
    # Given a lapsed premium user with 3 accepted partnerships (above the free limit of 1), 2 pending
    # requests they sent, 1 they received, each with its inbox row
    user_id = await lapsed_premium_user(connection)
    others = [await add_user(connection) for _ in range(6)]
    accepted = [
        await insert_partnership(connection, user_id, others[0], status="accepted"),
        await insert_partnership(connection, others[1], user_id, status="accepted"),
        await insert_partnership(connection, user_id, others[2], status="accepted"),
    ]
    sent = [await insert_partnership(connection, user_id, other) for other in others[3:5]]
    received = await insert_partnership(connection, others[5], user_id)
    for request_id, receiver in zip(sent, others[3:5], strict=True):
        await insert_inbox_row(connection, receiver, "partner_request", request_id)
    await insert_inbox_row(connection, user_id, "partner_request", received)
    await insert_inbox_row(connection, others[0], "partner_accepted", accepted[0])
    kept_inbox = {("partner_request", received), ("partner_accepted", accepted[0])}
    # When the teardown runs
    (report,) = await tear_down_lapsed_premium(
        Transaction(connection), [user_id], reason=DeactivationReason.SUBSCRIPTION_EXPIRED, now=NOW
    )
    # Then the sent requests and their inbox rows are gone; partnerships and the received request stay
    assert set(report.deleted_request_ids) == set(sent)
    assert await partnership_ids(connection) == {*accepted, received}
    assert await inbox_entities(connection) == kept_inbox
    (log,) = await deactivation_logs(connection, user_id)
    assert log.partner_requests_deleted == 2
    # And a second run changes nothing
    again = await tear_down_lapsed_premium(
        Transaction(connection), [user_id], reason=DeactivationReason.SUBSCRIPTION_EXPIRED, now=NOW
    )
    assert again == []
    assert await partnership_ids(connection) == {*accepted, received}
    assert await inbox_entities(connection) == kept_inbox
    assert len(await deactivation_logs(connection, user_id)) == 1


async def test_the_partner_step_is_one_statement_for_any_number_of_users(connection: AsyncConnection) -> None:
    # Given three lapsed users, each with a sent request
    lapsed = [await lapsed_premium_user(connection) for _ in range(3)]
    receivers = [await add_user(connection) for _ in range(3)]
    for sender, receiver in zip(lapsed, receivers, strict=True):
        await insert_partnership(connection, sender, receiver)
    # When the teardown runs for all three, counting statements that touch partnerships
    statements: list[str] = []

    def record(conn: Any, cursor: Any, statement: str, *args: Any) -> None:
        if "accountability_partners" in statement:
            statements.append(statement)

    sync_engine = connection.sync_engine
    sa.event.listen(sync_engine, "before_cursor_execute", record)
    try:
        reports = await tear_down_lapsed_premium(
            Transaction(connection), lapsed, reason=DeactivationReason.SUBSCRIPTION_EXPIRED, now=NOW
        )
    finally:
        sa.event.remove(sync_engine, "before_cursor_execute", record)
    # Then one statement did it for everyone
    assert len(statements) == 1
    assert sorted(len(report.deleted_request_ids) for report in reports) == [1, 1, 1]
    assert await partnership_ids(connection) == set()
