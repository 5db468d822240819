"""A challenge with its participants and leaderboard rows, inserted directly, for the check-in and
leaderboard tests (the routes that create and join challenges are tested elsewhere)."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, date, datetime, timedelta
from typing import Any
from uuid import UUID

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncConnection

from db.tables import challenge_leaderboard, challenge_participants, challenges

JOINED_AT = datetime(2024, 6, 1, tzinfo=UTC)


async def insert_challenge(
    connection: AsyncConnection,
    creator_id: UUID,
    members: Sequence[UUID] = (),
    *,
    points: Sequence[int] | None = None,
    start_date: date = date(2024, 6, 1),
    days: int = 30,
    **columns: Any,
) -> UUID:
    """An active public streak challenge with the creator first, then `members`, a minute apart, each
    with a leaderboard row (`points` in that order, else 0)."""
    values: dict[str, Any] = {
        "title": "Thirty days",
        "challenge_type": "streak",
        "duration_days": days,
        "start_date": start_date,
        "end_date": start_date + timedelta(days=days - 1),
        "timezone": "UTC",
        "created_by": creator_id,
        "status": "active",
        **columns,
    }
    challenge_id: UUID = (
        await connection.execute(sa.insert(challenges).values(values).returning(challenges.c.id))
    ).scalar_one()
    everyone = [creator_id, *members]
    scores = list(points) if points is not None else [0] * len(everyone)
    await connection.execute(
        sa.insert(challenge_participants),
        [
            {"challenge_id": challenge_id, "user_id": user, "joined_at": JOINED_AT + timedelta(minutes=index)}
            for index, user in enumerate(everyone)
        ],
    )
    await connection.execute(
        sa.insert(challenge_leaderboard),
        [
            {"challenge_id": challenge_id, "user_id": user, "points": score}
            for user, score in zip(everyone, scores, strict=True)
        ],
    )
    return challenge_id


async def leaderboard_row(connection: AsyncConnection, challenge_id: UUID, user_id: UUID) -> Any:
    return (
        await connection.execute(
            sa.select(
                challenge_leaderboard.c.points,
                challenge_leaderboard.c.checkin_count,
                challenge_leaderboard.c.last_check_in,
            ).where(
                challenge_leaderboard.c.challenge_id == challenge_id,
                challenge_leaderboard.c.user_id == user_id,
            )
        )
    ).one()
