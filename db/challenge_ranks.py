"""Leaderboard ranks (§3.6 Ranking): rank = 1 + the number of participants with more points, so ties
share a rank (1, 1, 3).

While a challenge runs, ranks are derived when read (a window over the index (challenge_id, points
DESC)), so concurrent check-ins never wait on each other's leaderboard rows; `store_final_ranks` writes
them into `challenge_leaderboard.rank` once, when a challenge completes: one set-wise UPDATE for all the
challenges given, touching only the rows whose rank changed. Points never change after completion
(check-ins are written, edited and deleted only while a challenge is active), so a derived rank equals
the stored one afterwards too: every reader derives.

Read-time helpers:
- `derived_rank(entry)`: the rank of a leaderboard row as a correlated SQL expression, to embed in a
  caller's own statement (e.g. `my_rank` of every challenge on a list page, in its one statement);
- `standing_of(...)`: one participant's (rank, points);
- `leaderboard_page(...)`: a keyset page of a challenge's leaderboard, by rank, then joined_at.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any, NamedTuple
from uuid import UUID

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncConnection
from sqlalchemy.sql.selectable import FromClause

from db.sql_arrays import uuid_array
from db.tables import challenge_leaderboard, challenge_participants, users

__all__ = [
    "LeaderboardEntry",
    "LeaderboardPosition",
    "Standing",
    "derived_rank",
    "leaderboard_page",
    "standing_of",
    "store_final_ranks",
]

_lb = challenge_leaderboard.c


def derived_rank(entry: FromClause) -> sa.ColumnElement[int]:
    """1 + the participants of the entry's challenge with more points: a correlated count over the index
    (challenge_id, points DESC). `entry` is challenge_leaderboard or an alias of it in the caller's FROM."""
    higher = challenge_leaderboard.alias("higher")
    above = (
        sa.select(sa.func.count())
        .where(higher.c.challenge_id == entry.c.challenge_id, higher.c.points > entry.c.points)
        .correlate(entry)
        .scalar_subquery()
    )
    return sa.type_coerce(1 + above, sa.Integer)


class Standing(NamedTuple):
    """A participant's place: unpacks as (rank, points)."""

    rank: int
    points: int


async def standing_of(connection: AsyncConnection, challenge_id: UUID, user_id: UUID) -> Standing | None:
    """The user's (rank, points) in the challenge; None when they are not a participant (one statement)."""
    row = (
        await connection.execute(
            sa.select(derived_rank(challenge_leaderboard).label("rank"), _lb.points).where(
                _lb.challenge_id == challenge_id, _lb.user_id == user_id
            )
        )
    ).one_or_none()
    return None if row is None else Standing(rank=row.rank, points=row.points)


@dataclass(frozen=True, slots=True)
class LeaderboardPosition:
    """The keyset position of the last entry served: the next page starts strictly after it."""

    rank: int
    joined_at: datetime
    user_id: UUID


@dataclass(frozen=True, slots=True)
class LeaderboardEntry:
    user_id: UUID
    rank: int
    points: int
    total_check_ins: int
    last_check_in: date | None
    joined_at: datetime
    name: str
    username: str
    profile_picture_url: str | None

    @property
    def position(self) -> LeaderboardPosition:
        return LeaderboardPosition(self.rank, self.joined_at, self.user_id)


async def leaderboard_page(
    connection: AsyncConnection,
    challenge_id: UUID,
    *,
    limit: int,
    after: LeaderboardPosition | None = None,
) -> list[LeaderboardEntry]:
    """Up to `limit` entries of the challenge by rank, then joined_at (user_id breaks the last ties),
    strictly after `after`, each with the participant's public fields (one statement). The window ranks
    the whole challenge before the page is cut, so a page's ranks are those of the full leaderboard."""
    ranked = (
        sa.select(
            _lb.user_id,
            _lb.points,
            _lb.checkin_count,
            _lb.last_check_in,
            challenge_participants.c.joined_at,
            sa.func.rank().over(order_by=_lb.points.desc()).label("rank"),
        )
        .select_from(
            challenge_leaderboard.join(
                challenge_participants,
                sa.and_(
                    challenge_participants.c.challenge_id == _lb.challenge_id,
                    challenge_participants.c.user_id == _lb.user_id,
                ),
            )
        )
        .where(_lb.challenge_id == challenge_id)
        .subquery("ranked")
    )
    order = (ranked.c.rank, ranked.c.joined_at, ranked.c.user_id)
    query = (
        sa.select(ranked, users.c.name, users.c.username, users.c.profile_picture_url)
        .select_from(ranked.join(users, users.c.id == ranked.c.user_id))
        .order_by(*order)
        .limit(limit)
    )
    if after is not None:
        query = query.where(sa.tuple_(*order) > sa.tuple_(after.rank, after.joined_at, after.user_id))
    return [_entry(row._mapping) for row in await connection.execute(query)]


def _entry(row: Any) -> LeaderboardEntry:
    return LeaderboardEntry(
        user_id=row["user_id"],
        rank=row["rank"],
        points=row["points"],
        total_check_ins=row["checkin_count"],
        last_check_in=row["last_check_in"],
        joined_at=row["joined_at"],
        name=row["name"],
        username=row["username"],
        profile_picture_url=row["profile_picture_url"],
    )


async def store_final_ranks(connection: AsyncConnection, challenge_ids: Sequence[UUID]) -> None:
    """Store the competition rank of every participant of `challenge_ids` (one statement)."""
    if not challenge_ids:
        return
    ranked = (
        sa.select(
            challenge_leaderboard.c.id,
            sa.func.rank()
            .over(
                partition_by=challenge_leaderboard.c.challenge_id,
                order_by=challenge_leaderboard.c.points.desc(),
            )
            .label("rank"),
        )
        .where(challenge_leaderboard.c.challenge_id == sa.any_(uuid_array("challenge_ids", challenge_ids)))
        .subquery()
    )
    await connection.execute(
        challenge_leaderboard.update()
        .where(challenge_leaderboard.c.id == ranked.c.id)
        .where(challenge_leaderboard.c.rank != ranked.c.rank)
        .values(rank=ranked.c.rank, updated_at=sa.func.now())
    )
