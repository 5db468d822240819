"""The design not taken, for the benchmark only: the real app, except that every challenge check-in
also stores the ranks of its whole challenge (one set-wise rank UPDATE, `store_final_ranks`, in the
check-in's transaction), as a design that keeps `challenge_leaderboard.rank` current while a challenge
runs would. Everything else (route, rules, statements, badge evaluation) is the real code path.

Two factories: `create_app` adds only the UPDATE (concurrent check-ins then update overlapping row
sets in no fixed order, and from snapshots that miss each other's points); `create_serialized_app`
first locks the challenge row FOR UPDATE, as a correct version of that design must, so the check-ins
of one challenge run one at a time.
"""

from __future__ import annotations

from uuid import UUID

import sqlalchemy as sa
from litestar import Litestar
from sqlalchemy.ext.asyncio import AsyncConnection

from api.app import create_app as create_real_app
from api.challenge_scores import checking_in
from db.challenge_check_ins import (
    Membership,
    NewChallengeCheckIn,
    RecordedCheckIn,
    lock_membership,
    record_check_in,
)
from db.challenge_ranks import store_final_ranks
from db.tables import challenges


async def record_then_store_ranks(
    connection: AsyncConnection, check_in: NewChallengeCheckIn
) -> RecordedCheckIn | None:
    recorded = await record_check_in(connection, check_in)
    if recorded is not None:
        await store_final_ranks(connection, [check_in.challenge_id])
    return recorded


async def lock_challenge_then_membership(
    connection: AsyncConnection, challenge_id: UUID, user_id: UUID
) -> Membership | None:
    await connection.execute(
        sa.select(challenges.c.id).where(challenges.c.id == challenge_id).with_for_update()
    )
    return await lock_membership(connection, challenge_id, user_id)


def create_app() -> Litestar:
    checking_in.record_check_in = record_then_store_ranks  # type: ignore[attr-defined]
    return create_real_app()


def create_serialized_app() -> Litestar:
    checking_in.lock_membership = lock_challenge_then_membership  # type: ignore[attr-defined]
    return create_app()
