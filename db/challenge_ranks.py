"""Leaderboard ranks (§3.6 Ranking): rank = 1 + the number of participants with more points, so ties
share a rank (1, 1, 3).

While a challenge runs, ranks are derived when read (a window over the index (challenge_id, points
DESC)), so concurrent check-ins never wait on each other's leaderboard rows; `store_final_ranks` writes
them into `challenge_leaderboard.rank` once, when a challenge completes: one set-wise UPDATE for all the
challenges given, touching only the rows whose rank changed.
"""

from __future__ import annotations

from collections.abc import Sequence
from uuid import UUID

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncConnection

from db.sql_arrays import uuid_array
from db.tables import challenge_leaderboard

__all__ = ["store_final_ranks"]


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
