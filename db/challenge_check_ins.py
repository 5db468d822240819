"""Challenge check-ins (§3.6 Check-in, Edit own check-in) and their effect on the leaderboard row.

A write starts with `lock_membership`: the caller's membership row FOR SHARE (a concurrent leave waits,
so the check-in's foreign key never meets a deleted membership) and the challenge row FOR SHARE (a
completion or cancellation waits for check-ins in flight, so no point lands after the final ranks).
Shared locks never wait on each other, so participants checking in at once do not queue.

Each change is then one statement that writes the check-in and its leaderboard row together: the
insert with points, checkin_count and last_check_in (plus the participant's derived rank, read in the
same statement), the delete with the points it had given (never below 0). Nothing stores ranks while a
challenge runs (db/challenge_ranks.py). Every statement is scoped by the caller's user id.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any, Final
from uuid import UUID

import sqlalchemy as sa
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.ext.asyncio import AsyncConnection

from db.tables import challenge_check_ins, challenge_leaderboard, challenge_participants, challenges, users

__all__ = [
    "ChallengeCheckInRow",
    "CheckInPosition",
    "DeletedCheckIn",
    "ListedCheckIn",
    "Membership",
    "NewChallengeCheckIn",
    "RecordedCheckIn",
    "check_in_page",
    "delete_check_in",
    "edit_check_in",
    "lock_membership",
    "record_check_in",
]

_ci = challenge_check_ins.c
_lb = challenge_leaderboard.c
EDITABLE: Final = frozenset({"notes", "mood", "photo_url"})


@dataclass(frozen=True, slots=True)
class Membership:
    """What a participant's check-in needs to know of the challenge, and their own zone."""

    status: str
    challenge_type: str
    start_date: date
    end_date: date
    timezone: str


async def lock_membership(
    connection: AsyncConnection, challenge_id: UUID, user_id: UUID
) -> Membership | None:
    """The caller's membership, share-locked with its challenge; None when they are not a participant."""
    row = (
        await connection.execute(
            sa.select(
                challenges.c.status,
                challenges.c.challenge_type,
                challenges.c.start_date,
                challenges.c.end_date,
                users.c.timezone,
            )
            .select_from(
                challenge_participants.join(
                    challenges, challenges.c.id == challenge_participants.c.challenge_id
                ).join(users, users.c.id == challenge_participants.c.user_id)
            )
            .where(
                challenge_participants.c.challenge_id == challenge_id,
                challenge_participants.c.user_id == user_id,
            )
            .with_for_update(read=True, of=[challenge_participants, challenges])
        )
    ).one_or_none()
    return None if row is None else Membership(**row._mapping)


@dataclass(frozen=True, slots=True)
class ChallengeCheckInRow:
    id: UUID
    challenge_id: UUID
    user_id: UUID
    check_in_date: date
    notes: str | None
    mood: str | None
    photo_url: str | None
    points_awarded: int
    created_at: datetime
    updated_at: datetime


_ROW_COLUMNS: Final = tuple(challenge_check_ins.c[name] for name in ChallengeCheckInRow.__slots__)


def _row(mapping: Any) -> ChallengeCheckInRow:
    return ChallengeCheckInRow(**{name: mapping[name] for name in ChallengeCheckInRow.__slots__})


@dataclass(frozen=True, slots=True)
class NewChallengeCheckIn:
    challenge_id: UUID
    user_id: UUID
    check_in_date: date
    notes: str | None
    mood: str | None
    photo_url: str | None
    points_awarded: int


@dataclass(frozen=True, slots=True)
class RecordedCheckIn:
    row: ChallengeCheckInRow
    total_points: int  # the participant's points after it
    rank: int  # their derived rank after it


async def record_check_in(
    connection: AsyncConnection, check_in: NewChallengeCheckIn
) -> RecordedCheckIn | None:
    """Insert the check-in and add it to the participant's leaderboard row (one statement); None when
    the participant already has one for that date (nothing written). Every participant has a
    leaderboard row: it is created with the membership and leaves with it (composite foreign key)."""
    inserted = (
        pg_insert(challenge_check_ins)
        .values(
            challenge_id=check_in.challenge_id,
            user_id=check_in.user_id,
            check_in_date=check_in.check_in_date,
            notes=check_in.notes,
            mood=check_in.mood,
            photo_url=check_in.photo_url,
            points_awarded=check_in.points_awarded,
        )
        .on_conflict_do_nothing(index_elements=[_ci.challenge_id, _ci.user_id, _ci.check_in_date])
        .returning(*_ROW_COLUMNS)
        .cte("inserted")
    )
    scored = (
        challenge_leaderboard.update()
        .where(_lb.challenge_id == inserted.c.challenge_id, _lb.user_id == inserted.c.user_id)
        .values(
            points=_lb.points + inserted.c.points_awarded,
            checkin_count=_lb.checkin_count + 1,
            last_check_in=sa.func.greatest(_lb.last_check_in, inserted.c.check_in_date),
            updated_at=sa.func.now(),
        )
        .returning(_lb.challenge_id, _lb.points)
        .cte("scored")
    )
    # The statement's snapshot predates its own update: the participant's old score is below the new
    # one, so counting the rows above the new score is the rank after this check-in.
    higher = challenge_leaderboard.alias("higher")
    above = (
        sa.select(sa.func.count())
        .where(higher.c.challenge_id == scored.c.challenge_id, higher.c.points > scored.c.points)
        .scalar_subquery()
    )
    row = (
        await connection.execute(
            sa.select(inserted, scored.c.points.label("total_points"), (1 + above).label("rank")).select_from(
                inserted.join(scored, sa.true())
            )
        )
    ).one_or_none()
    if row is None:
        return None
    return RecordedCheckIn(row=_row(row._mapping), total_points=row.total_points, rank=row.rank)


async def edit_check_in(
    connection: AsyncConnection,
    *,
    challenge_id: UUID,
    user_id: UUID,
    check_in_id: UUID,
    changes: Mapping[str, str | None],
    now: datetime,
) -> ChallengeCheckInRow | None:
    """Change the caller's own check-in's notes, mood or photo_url; None when it is not theirs."""
    unknown = set(changes) - EDITABLE
    if unknown:
        raise ValueError(f"not editable: {sorted(unknown)}")
    row = (
        await connection.execute(
            challenge_check_ins.update()
            .where(_ci.id == check_in_id, _ci.challenge_id == challenge_id, _ci.user_id == user_id)
            .values(**changes, updated_at=now)
            .returning(*_ROW_COLUMNS)
        )
    ).one_or_none()
    return None if row is None else _row(row._mapping)


@dataclass(frozen=True, slots=True)
class DeletedCheckIn:
    points_deducted: int  # the check-in's points_awarded (the score never goes below 0)
    remaining_check_ins: int


async def delete_check_in(
    connection: AsyncConnection, *, challenge_id: UUID, user_id: UUID, check_in_id: UUID
) -> DeletedCheckIn | None:
    """Delete the caller's own check-in and take it off their leaderboard row (one statement); None
    when it is not theirs."""
    removed = (
        challenge_check_ins.delete()
        .where(_ci.id == check_in_id, _ci.challenge_id == challenge_id, _ci.user_id == user_id)
        .returning(_ci.id, _ci.challenge_id, _ci.user_id, _ci.points_awarded)
        .cte("removed")
    )
    # The statement's snapshot still holds the removed row: the latest of the others is the new last.
    remaining = challenge_check_ins.alias("remaining")
    last_other = (
        sa.select(sa.func.max(remaining.c.check_in_date))
        .where(
            remaining.c.challenge_id == removed.c.challenge_id,
            remaining.c.user_id == removed.c.user_id,
            remaining.c.id != removed.c.id,
        )
        .scalar_subquery()
    )
    scored = (
        challenge_leaderboard.update()
        .where(_lb.challenge_id == removed.c.challenge_id, _lb.user_id == removed.c.user_id)
        .values(
            points=sa.func.greatest(_lb.points - removed.c.points_awarded, 0),
            checkin_count=sa.func.greatest(_lb.checkin_count - 1, 0),
            last_check_in=last_other,
            updated_at=sa.func.now(),
        )
        .returning(_lb.checkin_count)
        .cte("scored")
    )
    row = (
        await connection.execute(
            sa.select(
                removed.c.points_awarded, sa.func.coalesce(scored.c.checkin_count, 0).label("remaining")
            ).select_from(removed.outerjoin(scored, sa.true()))
        )
    ).one_or_none()
    return (
        None
        if row is None
        else DeletedCheckIn(points_deducted=row.points_awarded, remaining_check_ins=row.remaining)
    )


@dataclass(frozen=True, slots=True)
class CheckInPosition:
    """The keyset position of the last check-in served (newest first)."""

    check_in_date: date
    id: UUID


@dataclass(frozen=True, slots=True)
class ListedCheckIn:
    row: ChallengeCheckInRow
    name: str
    username: str
    profile_picture_url: str | None


async def check_in_page(
    connection: AsyncConnection,
    challenge_id: UUID,
    *,
    only_user: UUID | None,
    limit: int,
    after: CheckInPosition | None = None,
) -> list[ListedCheckIn]:
    """Up to `limit` check-ins of the challenge (only `only_user`'s when given), newest first, each
    with its participant's public fields (one statement)."""
    query = (
        sa.select(*_ROW_COLUMNS, users.c.name, users.c.username, users.c.profile_picture_url)
        .select_from(challenge_check_ins.join(users, users.c.id == _ci.user_id))
        .where(_ci.challenge_id == challenge_id)
        .order_by(_ci.check_in_date.desc(), _ci.id.desc())
        .limit(limit)
    )
    if only_user is not None:
        query = query.where(_ci.user_id == only_user)
    if after is not None:
        query = query.where(sa.tuple_(_ci.check_in_date, _ci.id) < sa.tuple_(after.check_in_date, after.id))
    return [
        ListedCheckIn(
            row=_row(row._mapping),
            name=row.name,
            username=row.username,
            profile_picture_url=row.profile_picture_url,
        )
        for row in await connection.execute(query)
    ]
