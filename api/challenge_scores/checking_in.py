"""Writing a challenge check-in, and editing or deleting one's own (§3.6), in the request's transaction.

Every write first share-locks the caller's membership with its challenge (db/challenge_check_ins.py),
then checks the rules in the order of §3.6, then changes the check-in and the leaderboard row in one
statement. A new check-in evaluates the participant's badges (their unlocks and notices commit with it).
"""

from __future__ import annotations

from datetime import datetime
from uuid import UUID

from sqlalchemy.ext.asyncio import AsyncConnection

from api.challenge_scores.schemas import ChallengeCheckInIn, stored_text
from db.challenge_access import challenge_visible
from db.challenge_check_ins import (
    ChallengeCheckInRow,
    DeletedCheckIn,
    Membership,
    NewChallengeCheckIn,
    RecordedCheckIn,
    delete_check_in,
    edit_check_in,
    lock_membership,
    record_check_in,
)
from domain.achievements import SourceType
from domain.challenge_scoring import ensure_check_in_day, ensure_running, points_for_check_in
from domain.errors import Forbidden, NotFound, RuleBroken
from domain.local_time import local_today
from services.achievements import AchievementSource, evaluate_achievements
from services.transaction import Transaction


def challenge_not_found() -> NotFound:
    return NotFound("Challenge not found.", code="challenge_not_found")


def check_in_not_found() -> NotFound:
    return NotFound("Check-in not found.", code="challenge_check_in_not_found")


async def require_visible(connection: AsyncConnection, challenge_id: UUID, user_id: UUID) -> None:
    """404 unless the caller may see the challenge (§3.6 Visibility)."""
    if not await challenge_visible(connection, challenge_id, user_id):
        raise challenge_not_found()


async def check_in(
    tx: Transaction, *, challenge_id: UUID, user_id: UUID, answer: ChallengeCheckInIn, now: datetime
) -> RecordedCheckIn:
    """Record the caller's check-in for their local today."""
    connection = tx.connection
    membership = await lock_membership(connection, challenge_id, user_id)
    if membership is None:
        await require_visible(connection, challenge_id, user_id)
        raise Forbidden("Only participants can check in to this challenge.", code="not_a_participant")
    ensure_running(membership.status)
    today = local_today(membership.timezone, now)
    ensure_check_in_day(today, membership.start_date, membership.end_date)
    recorded = await record_check_in(
        connection,
        NewChallengeCheckIn(
            challenge_id=challenge_id,
            user_id=user_id,
            check_in_date=today,
            notes=stored_text(answer.notes),
            mood=answer.mood,
            photo_url=stored_text(answer.photo_url),
            points_awarded=points_for_check_in(membership.challenge_type),
        ),
    )
    if recorded is None:
        raise RuleBroken("You have already checked in to this challenge today.", code="already_checked_in")
    await evaluate_achievements(
        tx, [user_id], now=now, source=AchievementSource(SourceType.CHALLENGE, challenge_id)
    )
    return recorded


async def _running_membership(connection: AsyncConnection, challenge_id: UUID, user_id: UUID) -> Membership:
    """The caller's membership of a running challenge; someone else's check-in is simply not found."""
    membership = await lock_membership(connection, challenge_id, user_id)
    if membership is None:
        raise check_in_not_found()
    ensure_running(membership.status)
    return membership


async def edit_own_check_in(
    tx: Transaction,
    *,
    challenge_id: UUID,
    user_id: UUID,
    check_in_id: UUID,
    changes: dict[str, str | None],
    now: datetime,
) -> ChallengeCheckInRow:
    await _running_membership(tx.connection, challenge_id, user_id)
    row = await edit_check_in(
        tx.connection,
        challenge_id=challenge_id,
        user_id=user_id,
        check_in_id=check_in_id,
        changes=changes,
        now=now,
    )
    if row is None:
        raise check_in_not_found()
    return row


async def delete_own_check_in(
    tx: Transaction, *, challenge_id: UUID, user_id: UUID, check_in_id: UUID
) -> DeletedCheckIn:
    await _running_membership(tx.connection, challenge_id, user_id)
    deleted = await delete_check_in(
        tx.connection, challenge_id=challenge_id, user_id=user_id, check_in_id=check_in_id
    )
    if deleted is None:
        raise check_in_not_found()
    return deleted
