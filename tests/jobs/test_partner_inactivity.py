"""notify_inactive_partners (§3.11 "Partner inactive"): once per silence, from the due index, in the quiet
user's zone; an answer through the API moves the instant."""

from __future__ import annotations

from datetime import UTC, date, datetime
from typing import Any
from uuid import UUID

import pytest
import sqlalchemy as sa
from httpx import AsyncClient
from sqlalchemy.ext.asyncio import AsyncConnection

import workers.registry  # noqa: F401  (the actor must be registered where the scheduler looks)
from api.clock import FixedClock
from db.partner_inactivity import schedule_partner_inactivity
from db.tables import check_ins, notification_history, partner_inactive_due, users
from tests.api.auth_support import MakeUser
from tests.api.checkins_support import answer, insert_checkin
from tests.support.rows import insert_goal_row, insert_user_row, utc
from tests.support.savepoint_database import SavepointDatabase
from tests.support.social_rows import insert_partnership
from workers.jobs.partner_inactivity import notify_inactive_partners_at
from workers.periodic_jobs import PERIODIC_JOBS

DAYS = 3
ZONE = "America/New_York"


async def answered(
    connection: AsyncConnection, user_id: UUID, goal_id: UUID, day: date, at: datetime
) -> None:
    """A completed answer on `day` (local), as the answer statement leaves it: the row and the instant."""
    await connection.execute(
        sa.insert(check_ins).values(user_id=user_id, goal_id=goal_id, check_in_date=day, status="completed")
    )
    # The answer statement restarts the silence: the old instant goes, the new one is set.
    await connection.execute(sa.delete(partner_inactive_due).where(partner_inactive_due.c.user_id == user_id))
    await schedule_partner_inactivity(connection, [user_id], now=at, days=DAYS)


async def notices(connection: AsyncConnection) -> list[Any]:
    result = await connection.execute(
        sa.select(
            notification_history.c.user_id,
            notification_history.c.dedupe_key,
            notification_history.c.body,
            notification_history.c.data,
        )
        .where(notification_history.c.notification_type == "partner_inactive")
        .order_by(notification_history.c.created_at, notification_history.c.dedupe_key)
    )
    return list(result)


async def due_at(connection: AsyncConnection, user_id: UUID) -> datetime | None:
    result = await connection.execute(
        sa.select(partner_inactive_due.c.due_at).where(partner_inactive_due.c.user_id == user_id)
    )
    return result.scalar_one_or_none()


async def run(database: SavepointDatabase, now: datetime) -> int:
    return (await notify_inactive_partners_at(database, now=now, days=DAYS))["notified"]


@pytest.fixture
def clock() -> FixedClock:
    return FixedClock(datetime(2024, 6, 12, 16, 0, tzinfo=UTC))


def test_the_job_runs_hourly() -> None:
    assert PERIODIC_JOBS["partners.notify_inactive"].cron == "0 * * * *"


async def test_a_silence_is_told_once_then_again_after_a_new_answer_and_a_new_silence(
    connection: AsyncConnection, database: SavepointDatabase
) -> None:
    # Given a quiet user in New York with an accepted partner, a user who only sent them a request,
    # and a partner who blocked them; the quiet user completes a goal on Friday 7 March 2025
    quiet = await insert_user_row(connection, ZONE, name="Quinn")
    partner = await insert_user_row(connection)
    requester = await insert_user_row(connection)
    blocker = await insert_user_row(connection)
    partnership = await insert_partnership(
        connection, partner, quiet, status="accepted", created_at=utc("2025-02-01T12:00")
    )
    await insert_partnership(connection, requester, quiet)
    await insert_partnership(connection, blocker, quiet, status="blocked")
    goal = await insert_goal_row(connection, quiet)
    await answered(connection, quiet, goal, date(2025, 3, 7), at=utc("2025-03-07T23:00"))
    # Then the instant is 10:00 New York time three local days on: Monday 10 March, after the spring
    # forward of Sunday 9 March, so 14:00 UTC (EDT), not 15:00 (EST)
    assert await due_at(connection, quiet) == utc("2025-03-10T14:00")

    # When the job runs before that, nothing is said
    assert await run(database, utc("2025-03-09T14:00")) == 0
    assert await run(database, utc("2025-03-10T13:59")) == 0
    # At the instant, the partner (only they) hears it once, with the quiet user's name and the days
    assert await run(database, utc("2025-03-10T14:00")) == 1
    (notice,) = await notices(connection)
    assert notice.user_id == partner
    assert notice.dedupe_key == f"partner_inactive:{partner}:{quiet}:2025-03-07"
    assert "Quinn hasn't checked in for 3 days" in notice.body
    assert notice.data["partnershipId"] == str(partnership)
    # And not again the next hours or days of the same silence: the instant is gone
    assert await due_at(connection, quiet) is None
    for later in ("2025-03-10T15:00", "2025-03-11T14:00", "2025-03-20T14:00"):
        assert await run(database, utc(later)) == 0
    assert len(await notices(connection)) == 1

    # When the quiet user answers again on 21 March and then goes quiet again
    await answered(connection, quiet, goal, date(2025, 3, 21), at=utc("2025-03-21T13:00"))
    assert await run(database, utc("2025-03-23T14:00")) == 0
    # Then the partner hears of the new silence once
    assert await run(database, utc("2025-03-24T14:00")) == 1
    assert sorted(row.dedupe_key for row in await notices(connection)) == [
        f"partner_inactive:{partner}:{quiet}:2025-03-07",
        f"partner_inactive:{partner}:{quiet}:2025-03-21",
    ]


async def test_a_rest_day_ends_a_silence_and_a_skip_does_not(
    client: AsyncClient, make_user: MakeUser, connection: AsyncConnection
) -> None:
    # Given a user with an accepted partner, whose goal has today's pending row
    user = await make_user(timezone="Asia/Tokyo")
    partner = await insert_user_row(connection)
    await insert_partnership(
        connection, user.id, partner, status="accepted", created_at=utc("2024-06-01T00:00")
    )
    skipped_goal, rested_goal = (
        await insert_goal_row(connection, user.id),
        await insert_goal_row(connection, user.id),
    )
    for goal_id in (skipped_goal, rested_goal):
        await insert_checkin(connection, user.id, goal_id, date(2024, 6, 13))
    # When they skip one goal, nothing is watched yet
    assert (await answer(client, user, skipped_goal, completed=False)).status_code == 201
    assert await due_at(connection, user.id) is None
    # And when they take a rest day on the other (Tokyo's 13 June), the silence restarts from then:
    # 10:00 in Tokyo on 16 June is 01:00 UTC
    response = await answer(client, user, rested_goal, completed=False, is_rest_day=True)
    assert response.status_code == 201, response.text
    assert await due_at(connection, user.id) == utc("2024-06-16T01:00")


async def test_an_answer_without_partners_watches_nothing(
    client: AsyncClient, make_user: MakeUser, connection: AsyncConnection
) -> None:
    user = await make_user()
    goal_id = await insert_goal_row(connection, user.id)
    assert (await answer(client, user, goal_id)).status_code == 201
    assert await due_at(connection, user.id) is None


async def test_a_partner_who_never_checked_in_is_counted_from_the_acceptance(
    connection: AsyncConnection, database: SavepointDatabase
) -> None:
    # Given a partnership accepted on 1 June (London), the accept route watching both users
    quiet = await insert_user_row(connection, "Europe/London")
    partner = await insert_user_row(connection, "Europe/London")
    accepted_at = utc("2025-06-01T08:00")
    await insert_partnership(connection, partner, quiet, status="accepted", created_at=accepted_at)
    await schedule_partner_inactivity(connection, [quiet, partner], now=accepted_at, days=DAYS)
    # Then at 10:00 London (BST) three days later, each hears that the other has been quiet
    assert await due_at(connection, quiet) == utc("2025-06-04T09:00")
    assert await run(database, utc("2025-06-04T08:59")) == 0
    assert await run(database, utc("2025-06-04T09:00")) == 2
    assert {row.dedupe_key for row in await notices(connection)} == {
        f"partner_inactive:{partner}:{quiet}:2025-06-01",
        f"partner_inactive:{quiet}:{partner}:2025-06-01",
    }


async def test_a_partner_accepted_during_a_silence_hears_of_it_from_their_own_acceptance(
    connection: AsyncConnection, database: SavepointDatabase
) -> None:
    # Given a quiet user whose first partner heard of their silence on 4 June
    quiet = await insert_user_row(connection)
    first, second = await insert_user_row(connection), await insert_user_row(connection)
    await insert_partnership(connection, first, quiet, status="accepted", created_at=utc("2025-05-01T08:00"))
    goal = await insert_goal_row(connection, quiet)
    await answered(connection, quiet, goal, date(2025, 6, 1), at=utc("2025-06-01T18:00"))
    assert await run(database, utc("2025-06-04T10:00")) == 1
    # When a second partner accepts on 5 June (the accept route sets the instant: none was set) ...
    await insert_partnership(connection, second, quiet, status="accepted", created_at=utc("2025-06-05T12:00"))
    await schedule_partner_inactivity(connection, [quiet], now=utc("2025-06-05T12:00"), days=DAYS)
    # ... and a third accepts on 6 June, while the instant of the 5th is pending
    third = await insert_user_row(connection)
    await insert_partnership(connection, third, quiet, status="accepted", created_at=utc("2025-06-06T12:00"))
    await schedule_partner_inactivity(connection, [quiet], now=utc("2025-06-06T12:00"), days=DAYS)
    # Then on 8 June the second hears, and the first does not hear the same silence twice
    assert await run(database, utc("2025-06-08T10:00")) == 1
    # And the job came back for the third partner's own three days
    assert await due_at(connection, quiet) == utc("2025-06-09T10:00")
    assert await run(database, utc("2025-06-09T10:00")) == 1
    assert sorted(row.user_id for row in await notices(connection)) == sorted([first, second, third])
    assert await due_at(connection, quiet) is None


async def test_suspended_users_are_not_reported_and_leave_the_index(
    connection: AsyncConnection, database: SavepointDatabase
) -> None:
    quiet = await insert_user_row(connection)
    partner = await insert_user_row(connection)
    await insert_partnership(
        connection, partner, quiet, status="accepted", created_at=utc("2025-06-01T08:00")
    )
    await schedule_partner_inactivity(connection, [quiet], now=utc("2025-06-01T08:00"), days=DAYS)
    await connection.execute(sa.update(users).where(users.c.id == quiet).values(status="suspended"))
    counts = await notify_inactive_partners_at(database, now=utc("2025-06-04T10:00"), days=DAYS)
    assert (counts["due"], counts["inactive_accounts"], counts["notified"]) == (1, 1, 0)
    assert await due_at(connection, quiet) is None
    assert await notices(connection) == []


async def test_a_user_whose_partnerships_ended_leaves_the_index_quietly(
    connection: AsyncConnection, database: SavepointDatabase
) -> None:
    quiet = await insert_user_row(connection)
    partner = await insert_user_row(connection)
    partnership = await insert_partnership(connection, partner, quiet, status="accepted")
    await schedule_partner_inactivity(connection, [quiet], now=utc("2025-06-01T08:00"), days=DAYS)
    await connection.execute(
        sa.text("DELETE FROM accountability_partners WHERE id = :id"), {"id": partnership}
    )
    assert await run(database, utc("2025-06-04T10:00")) == 0
    assert await due_at(connection, quiet) is None


@pytest.mark.parametrize("batch_size", [1, 500])
async def test_many_due_users_are_taken_in_batches(
    connection: AsyncConnection, database: SavepointDatabase, batch_size: int
) -> None:
    partner = await insert_user_row(connection)
    quiet_users = [await insert_user_row(connection) for _ in range(3)]
    for quiet in quiet_users:
        await insert_partnership(
            connection, partner, quiet, status="accepted", created_at=utc("2025-06-01T08:00")
        )
    await schedule_partner_inactivity(connection, quiet_users, now=utc("2025-06-01T08:00"), days=DAYS)
    counts = await notify_inactive_partners_at(
        database, now=utc("2025-06-04T10:00"), days=DAYS, batch_size=batch_size
    )
    assert counts["notified"] == 3
    assert counts["due"] == 3
    assert [await due_at(connection, quiet) for quiet in quiet_users] == [None, None, None]
    assert len(await notices(connection)) == 3
