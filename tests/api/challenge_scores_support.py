"""Challenges for the check-in and leaderboard tests: running (active since 2024-06-01, the month the
tests' clock is in) unless told otherwise, built by tests/support/challenge_rows.py."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date
from typing import Any
from uuid import UUID

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncConnection

from db.tables import challenge_leaderboard
from tests.support.challenge_rows import insert_challenge

RUNNING: dict[str, Any] = {"status": "active", "start_date": date(2024, 6, 1)}


async def running_challenge(
    connection: AsyncConnection, creator_id: UUID, members: Sequence[UUID] = (), **columns: Any
) -> UUID:
    """A public streak challenge with the creator first, then `members` (joined in that order)."""
    return await insert_challenge(connection, creator_id, members, **(RUNNING | columns))


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
