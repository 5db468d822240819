"""The design not taken, for the benchmark only: the real app, except that every challenge check-in
also stores the ranks of its whole challenge (one set-wise rank UPDATE, `store_final_ranks`, in the
check-in's transaction), as a design that keeps `challenge_leaderboard.rank` current while a challenge
runs would. Everything else (route, rules, statements, badge evaluation) is the real code path."""

from __future__ import annotations

from litestar import Litestar
from sqlalchemy.ext.asyncio import AsyncConnection

from api.app import create_app as create_real_app
from api.challenge_scores import checking_in
from db.challenge_check_ins import NewChallengeCheckIn, RecordedCheckIn, record_check_in
from db.challenge_ranks import store_final_ranks


async def record_then_store_ranks(
    connection: AsyncConnection, check_in: NewChallengeCheckIn
) -> RecordedCheckIn | None:
    recorded = await record_check_in(connection, check_in)
    if recorded is not None:
        await store_final_ranks(connection, [check_in.challenge_id])
    return recorded


def create_app() -> Litestar:
    checking_in.record_check_in = record_then_store_ranks  # type: ignore[attr-defined]
    return create_real_app()
