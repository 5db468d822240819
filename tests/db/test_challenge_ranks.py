"""Read-time ranks (db/challenge_ranks.py): competition ranking (ties share a rank: 1, 1, 3), derived
from points whenever read, with the leaderboard in rank, then joined_at order, keyset-paged."""

from __future__ import annotations

from uuid import UUID

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncConnection

from db.challenge_ranks import (
    LeaderboardEntry,
    Standing,
    derived_rank,
    leaderboard_page,
    standing_of,
    store_final_ranks,
)
from db.tables import challenge_leaderboard
from tests.support.challenge_rows import insert_challenge
from tests.support.rows import insert_user_row


async def challenge_with_points(connection: AsyncConnection, points: list[int]) -> tuple[UUID, list[UUID]]:
    """A running challenge whose participants joined in the order of `points`, a check-in per 10 points."""
    users = [await insert_user_row(connection) for _ in points]
    challenge_id = await insert_challenge(connection, users[0], users[1:], points=points, status="active")
    await connection.execute(
        sa.update(challenge_leaderboard)
        .where(challenge_leaderboard.c.challenge_id == challenge_id)
        .values(checkin_count=challenge_leaderboard.c.points / 10)
    )
    return challenge_id, users


async def test_ties_share_a_rank_and_the_next_rank_skips(connection: AsyncConnection) -> None:
    challenge_id, users = await challenge_with_points(connection, [20, 30, 30, 10, 0, 20])

    page = await leaderboard_page(connection, challenge_id, limit=10)

    assert [(entry.user_id, entry.rank, entry.points) for entry in page] == [
        (users[1], 1, 30),
        (users[2], 1, 30),
        (users[0], 3, 20),
        (users[5], 3, 20),
        (users[3], 5, 10),
        (users[4], 6, 0),
    ]
    assert [entry.total_check_ins for entry in page] == [3, 3, 2, 2, 1, 0]
    assert await standing_of(connection, challenge_id, users[5]) == Standing(rank=3, points=20)
    rank, points = await standing_of(connection, challenge_id, users[4]) or (0, 0)
    assert (rank, points) == (6, 0)


async def test_standing_of_someone_outside_the_challenge_is_none(connection: AsyncConnection) -> None:
    challenge_id, _ = await challenge_with_points(connection, [10])
    outsider = await insert_user_row(connection)

    assert await standing_of(connection, challenge_id, outsider) is None


async def test_pages_follow_each_other_without_gaps_or_repeats(connection: AsyncConnection) -> None:
    challenge_id, _ = await challenge_with_points(connection, [5, 5, 5, 10, 0, 5, 10, 0, 5])
    everything = await leaderboard_page(connection, challenge_id, limit=100)

    served: list[LeaderboardEntry] = []
    after = None
    while True:
        page = await leaderboard_page(connection, challenge_id, limit=2, after=after)
        if not page:
            break
        served.extend(page)
        after = page[-1].position

    assert served == everything
    assert [entry.rank for entry in served] == [1, 1, 3, 3, 3, 3, 3, 8, 8]


async def test_other_challenges_do_not_count(connection: AsyncConnection) -> None:
    first, first_users = await challenge_with_points(connection, [10, 0])
    await challenge_with_points(connection, [50, 40, 30])

    assert await standing_of(connection, first, first_users[0]) == Standing(rank=1, points=10)
    assert [entry.rank for entry in await leaderboard_page(connection, first, limit=10)] == [1, 2]


async def test_derived_rank_embeds_in_a_callers_statement_and_matches_the_stored_final_rank(
    connection: AsyncConnection,
) -> None:
    challenge_id, users = await challenge_with_points(connection, [7, 9, 7, 1])
    await store_final_ranks(connection, [challenge_id])

    mine = challenge_leaderboard.alias("mine")
    rows = await connection.execute(
        sa.select(mine.c.user_id, derived_rank(mine).label("derived"), mine.c.rank).where(
            mine.c.challenge_id == challenge_id
        )
    )

    ranks = {row.user_id: (row.derived, row.rank) for row in rows}
    assert ranks == {users[0]: (2, 2), users[1]: (1, 1), users[2]: (2, 2), users[3]: (4, 4)}
