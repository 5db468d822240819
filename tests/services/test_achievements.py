"""evaluate_achievements: counts, unlocks, notices to the user and partners, cost and races (§3.7)."""

from __future__ import annotations

import asyncio
from datetime import date, timedelta
from uuid import UUID

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine

from db.achievements import condition_counts
from db.tables import achievement_types, notification_history, user_achievements
from domain.achievements import SourceType
from services.achievements import AchievementSource, evaluate_achievements
from services.transaction import EngineDatabase, Transaction
from tests.api.checkins_support import counted_statements
from tests.jobs.scheduling_support import add_goal, add_user, notices
from tests.services.achievements_support import (
    add_completed_days,
    add_nudges,
    unlock_metadata,
    unlocked_keys,
)
from tests.support.rows import utc
from tests.support.social_rows import insert_pair

# 18:05 UTC on Tuesday 2025-06-10: already Wednesday 2025-06-11 in Auckland (+12).
NOW = utc("2025-06-10T18:05")
AUCKLAND_TODAY = date(2025, 6, 11)


def days_up_to(last: date, count: int) -> list[date]:
    """`count` consecutive days ending on `last`."""
    return [last - timedelta(days=offset) for offset in range(count)]


async def test_one_statement_loads_every_count_in_the_users_local_days(connection: AsyncConnection) -> None:
    # Given an Auckland user created 30 local days ago, with three goals (one archived), completed
    # check-ins on the 7 local days up to local today plus two older ones, a skipped day, two accepted
    # partnerships (one each way), a pending one, and sent nudges and cheers
    user = await add_user(connection, timezone="Pacific/Auckland", created_at=utc("2025-05-11T18:05"))
    running = await add_goal(connection, user, now=NOW, current_streak=9)
    await add_goal(connection, user, now=NOW, title="Read", current_streak=4)
    await add_goal(connection, user, now=NOW, title="Old", status="archived")
    await add_completed_days(connection, user, running, days_up_to(AUCKLAND_TODAY, 7))
    await add_completed_days(connection, user, running, [date(2025, 5, 1), date(2025, 1, 1)])
    await add_completed_days(connection, user, running, [date(2025, 5, 2)], status="skipped")
    friend, other, stranger = (
        await add_user(connection),
        await add_user(connection),
        await add_user(connection),
    )
    first = await insert_pair(connection, user, friend)
    second = await insert_pair(connection, other, user)
    await insert_pair(connection, user, stranger, status="pending")
    await add_nudges(connection, user, friend, first, ["nudge", "nudge", "cheer", "custom"])
    await add_nudges(connection, friend, user, first, ["nudge"])

    # When the counts are loaded
    [loaded] = await condition_counts(connection, [user], now=NOW)

    # Then each is what §3.7 says, in the user's local dates
    counts = loaded.counts
    assert (counts.checkin_count, counts.goal_count, counts.partner_count, counts.streak) == (9, 3, 2, 9)
    assert counts.perfect_days == {7: 7, 30: 7, 90: 8, 180: 9, 365: 9}
    assert (counts.nudges_sent, counts.cheers_sent, counts.account_age) == (2, 1, 30)
    assert {(link.partner_id, link.partnership_id) for link in loaded.partners} == {
        (friend, first),
        (other, second),
    }
    assert loaded.unlocked_type_ids == frozenset()


async def test_a_day_that_is_not_yet_local_today_breaks_the_perfect_week(connection: AsyncConnection) -> None:
    # Given an Auckland user whose 7 completed days end on the UTC date (local yesterday)
    user = await add_user(connection, timezone="Pacific/Auckland")
    goal = await add_goal(connection, user, now=NOW)
    await add_completed_days(connection, user, goal, days_up_to(date(2025, 6, 10), 7))

    # When the badges are evaluated
    await evaluate_achievements(Transaction(connection), [user], now=NOW)

    # Then local today is missing from the window: no perfect week (6 of its 7 days)
    assert "perfect_week" not in await unlocked_keys(connection, user)
    await add_completed_days(connection, user, goal, [AUCKLAND_TODAY])
    await evaluate_achievements(Transaction(connection), [user], now=NOW)
    assert "perfect_week" in await unlocked_keys(connection, user)


async def test_unlocks_are_written_once_with_their_counts_and_announced_once(
    connection: AsyncConnection,
) -> None:
    # Given a user with one goal and 10 completed check-ins
    user = await add_user(connection, name="Ana")
    goal = await add_goal(connection, user, now=NOW)
    await add_completed_days(connection, user, goal, days_up_to(date(2025, 6, 1), 10))

    # When the badges are evaluated twice
    source = AchievementSource(SourceType.GOAL, goal)
    first = await evaluate_achievements(Transaction(connection), [user], now=NOW, source=source)
    second = await evaluate_achievements(Transaction(connection), [user], now=NOW, source=source)

    # Then the first call unlocked the goal and check-in badges, the second nothing
    assert [item.badge.badge_key for item in first] == ["first_checkin", "first_goal", "checkins_10"]
    assert second == []
    assert await unlocked_keys(connection, user) == ["first_checkin", "first_goal", "checkins_10"]
    metadata = await unlock_metadata(connection, user, "checkins_10")
    assert metadata["checkin_count"] == 10
    assert metadata["goal_count"] == 1
    assert (metadata["source_type"], metadata["source_id"]) == ("goal", str(goal))
    # And one achievement notice per badge, naming it; its entity is the unlock row
    sent = await notices(connection, "achievement")
    assert sorted(notice.title for notice in sent) == [
        "🏆 Achievement unlocked: Getting Started",
        "🏆 Achievement unlocked: Goal Setter",
        "🏆 Achievement unlocked: Ten Strong",
    ]
    assert {notice.entity_id for notice in sent} == {item.row.id for item in first}
    assert {notice.data["badgeKey"] for notice in sent} == {"first_checkin", "first_goal", "checkins_10"}


async def test_accepted_partners_get_one_milestone_notice_per_evaluation(connection: AsyncConnection) -> None:
    # Given Ana with two accepted partners (one asked her, she asked the other), a pending one, and
    # Ben, with one partner, about to unlock a single badge
    ana, ben = await add_user(connection, name="Ana"), await add_user(connection, name="Ben")
    ana_partners = [await add_user(connection), await add_user(connection)]
    await insert_pair(connection, ana_partners[0], ana)
    await insert_pair(connection, ana, ana_partners[1])
    await insert_pair(connection, ana, await add_user(connection), status="pending")
    ben_partner = await add_user(connection)
    await insert_pair(connection, ben, ben_partner)
    ana_goal = await add_goal(connection, ana, now=NOW)
    await add_completed_days(connection, ana, ana_goal, [date(2025, 6, 10)])
    await add_goal(connection, ben, now=NOW)

    # When both are evaluated as one set
    unlocked = await evaluate_achievements(Transaction(connection), [ana, ben], now=NOW)

    # Then each of Ana's accepted partners hears once of her 3 badges (first_checkin, first_goal,
    # first_partner); the pending one hears nothing
    ana_badges = [item for item in unlocked if item.row.user_id == ana]
    milestones = await notices(connection, "partner_milestone")
    by_recipient = {notice.user_id: notice for notice in milestones}
    assert set(by_recipient) == {*ana_partners, ben_partner}
    for partner in ana_partners:
        assert by_recipient[partner].body == f"Ana unlocked {len(ana_badges)} achievements. Send a cheer!"
        assert by_recipient[partner].entity_id == ana_badges[0].row.id
    # And Ben's partner hears the names of his badges (first_goal and first_partner)
    ben_badges = [item.badge.badge_name for item in unlocked if item.row.user_id == ben]
    assert ben_badges == ["Goal Setter", "First Ally"]
    assert by_recipient[ben_partner].body == "Ben unlocked 2 achievements. Send a cheer!"


async def test_a_single_badge_is_named_in_the_partner_notice(connection: AsyncConnection) -> None:
    # Given Ana, who already has every badge she qualifies for, and one partner
    ana, partner = await add_user(connection, name="Ana"), await add_user(connection)
    await insert_pair(connection, ana, partner)
    await evaluate_achievements(Transaction(connection), [ana], now=NOW)

    # When her first goal appears and she is evaluated again
    await add_goal(connection, ana, now=NOW)
    await evaluate_achievements(Transaction(connection), [ana], now=NOW)

    # Then the partner's second notice names the one badge
    bodies = sorted(notice.body for notice in await notices(connection, "partner_milestone"))
    assert bodies == ["Ana unlocked First Ally. Send a cheer!", "Ana unlocked Goal Setter. Send a cheer!"]


async def test_statements_are_constant_in_badges_and_users(
    connection: AsyncConnection, engine: AsyncEngine
) -> None:
    # Given 1 user, then 40 users, each with a goal, a partner and check-ins, evaluated against the
    # 69 badges, then against 69 + 100 extra active badges
    async def cohort(size: int) -> list[UUID]:
        members = []
        for _ in range(size):
            user, partner = await add_user(connection), await add_user(connection)
            await insert_pair(connection, user, partner)
            goal = await add_goal(connection, user, now=NOW)
            await add_completed_days(connection, user, goal, days_up_to(date(2025, 6, 10), 12))
            members.append(user)
        return members

    async def statements_for(users: list[UUID]) -> tuple[int, int, int]:
        """(statements besides the catalogue, catalogue reads, unlocks) of one evaluation."""
        with counted_statements(engine) as statements:
            unlocked = await evaluate_achievements(Transaction(connection), users, now=NOW)
        catalogue = sum(1 for sql in statements if sql.startswith("SELECT achievement_types.id"))
        return len(statements) - catalogue, catalogue, len(unlocked)

    one = await statements_for(await cohort(1))
    many = await statements_for(await cohort(40))
    await connection.execute(
        sa.insert(achievement_types),
        [
            {
                "badge_key": f"extra_{index}",
                "badge_name": f"Extra {index}",
                "unlock_condition": {"type": "checkin_count", "value": 1 + index % 10},
                "category": "consistency",
                "sort_order": 1000 + index,
            }
            for index in range(100)
        ],
    )
    more_badges = await statements_for(await cohort(40))
    again = await statements_for(await cohort(40))

    # When they are evaluated, then the statements stay at three (counts, insert, notify) while the
    # unlocks grow with users and badges; the catalogue is read when it changed, not per evaluation
    assert [one[0], many[0], more_badges[0], again[0]] == [3, 3, 3, 3]
    assert [many[1], more_badges[1], again[1]] == [0, 1, 0]
    assert one[2] * 40 == many[2] < more_badges[2] == again[2]


async def test_nothing_earned_costs_one_statement(connection: AsyncConnection, engine: AsyncEngine) -> None:
    # Given a user with nothing to earn, and the catalogue already read by this process
    user = await add_user(connection)
    await evaluate_achievements(Transaction(connection), [user], now=NOW)

    # When they are evaluated again, then the counts statement is all it takes
    with counted_statements(engine) as statements:
        assert await evaluate_achievements(Transaction(connection), [user], now=NOW) == []
    assert len(statements) == 1


async def test_inactive_badges_and_unknown_conditions_never_unlock(connection: AsyncConnection) -> None:
    # Given first_goal switched off, and a badge of a condition the code does not know
    await connection.execute(
        sa.update(achievement_types)
        .where(achievement_types.c.badge_key == "first_goal")
        .values(is_active=False)
    )
    await connection.execute(
        sa.insert(achievement_types).values(
            badge_key="mystery",
            badge_name="Mystery",
            unlock_condition={"type": "moon_phase", "value": 0},
            category="special",
            sort_order=999,
        )
    )
    user = await add_user(connection)
    await add_goal(connection, user, now=NOW)

    # When the user is evaluated, then neither unlocks
    await evaluate_achievements(Transaction(connection), [user], now=NOW)
    assert await unlocked_keys(connection, user) == []


async def test_two_evaluations_at_once_unlock_and_announce_each_badge_once(
    committed_database: EngineDatabase,
) -> None:
    # Given a committed user with a partner, a goal and a completed check-in
    async with committed_database.transaction() as tx:
        user, partner = await add_user(tx.connection, name="Ana"), await add_user(tx.connection)
        await insert_pair(tx.connection, user, partner)
        goal = await add_goal(tx.connection, user, now=NOW)
        await add_completed_days(tx.connection, user, goal, [date(2025, 6, 10)])

    # When four transactions on their own connections evaluate the user at once
    async def evaluate() -> int:
        async with committed_database.transaction() as tx:
            return len(await evaluate_achievements(tx, [user], now=NOW))

    results = await asyncio.gather(*(evaluate() for _ in range(4)))

    # Then each badge is one row, unlocked by exactly one of them, and announced once
    async with committed_database.transaction() as tx:
        connection = tx.connection
        rows = (
            await connection.execute(sa.select(sa.func.count()).where(user_achievements.c.user_id == user))
        ).scalar_one()
        kinds = await connection.execute(
            sa.select(notification_history.c.notification_type, sa.func.count())
            .where(notification_history.c.user_id.in_([user, partner]))
            .group_by(notification_history.c.notification_type)
        )
        by_kind: dict[str, int] = dict(kinds.all())
    assert rows == 3  # first_checkin, first_goal, first_partner
    assert sorted(results) == [0, 0, 0, 3]
    assert by_kind == {"achievement": 3, "partner_milestone": 1}
