"""Challenge memberships (§2.8, §3.6): joining (the participant row and its leaderboard row, one
statement), leaving (the leaderboard row and check-ins cascade), the counts the join rules read and the
participants list.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from uuid import UUID

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncConnection

from db.challenge_ranks import derived_rank
from db.tables import challenge_invites, challenge_leaderboard, challenge_participants, challenges, users
from domain.challenge_rules import OPEN_STATUSES

__all__ = [
    "JoinCounts",
    "MemberRow",
    "ParticipantEntry",
    "delete_member",
    "insert_member",
    "is_member",
    "join_counts",
    "lock_join_limit",
    "participant_page",
]

_p = challenge_participants.c
_lb = challenge_leaderboard.c


@dataclass(frozen=True, slots=True)
class MemberRow:
    id: UUID
    challenge_id: UUID
    user_id: UUID
    joined_at: datetime
    completed_at: datetime | None


async def insert_member(
    connection: AsyncConnection, challenge_id: UUID, user_id: UUID, *, now: datetime
) -> MemberRow:
    """The membership and its leaderboard row at 0 points, in one statement. A concurrent join of the
    same user raises the unique violation (409)."""
    member = (
        sa.insert(challenge_participants)
        .values(challenge_id=challenge_id, user_id=user_id, joined_at=now)
        .returning(*(_p[name] for name in MemberRow.__dataclass_fields__))
        .cte("member")
    )
    score = (
        sa.insert(challenge_leaderboard)
        .from_select(["challenge_id", "user_id"], sa.select(member.c.challenge_id, member.c.user_id))
        .cte("score")
    )
    row = (await connection.execute(sa.select(member).add_cte(score))).one()
    return MemberRow(**row._mapping)


async def delete_member(connection: AsyncConnection, challenge_id: UUID, user_id: UUID) -> bool:
    """Leave: the leaderboard row and the check-ins go with the membership (composite foreign keys)."""
    result = await connection.execute(
        sa.delete(challenge_participants).where(_p.challenge_id == challenge_id, _p.user_id == user_id)
    )
    return result.rowcount > 0


async def is_member(connection: AsyncConnection, challenge_id: UUID, user_id: UUID) -> bool:
    statement = sa.select(sa.exists().where(_p.challenge_id == challenge_id, _p.user_id == user_id))
    return bool((await connection.execute(statement)).scalar())


async def lock_join_limit(connection: AsyncConnection, user_id: UUID) -> None:
    """Serialise the user's joins until the transaction ends, so two joins at once cannot both pass
    challenge_limit. Taken before any challenge row lock (one lock order: user, then challenge)."""
    await connection.execute(
        sa.select(
            sa.func.pg_advisory_xact_lock(
                sa.func.hashtext("challenges.join_limit"), sa.func.hashtext(str(user_id))
            )
        )
    )


@dataclass(frozen=True, slots=True)
class JoinCounts:
    """What the join rules read beside the challenge row (§3.6 Join), in one statement."""

    participants: int  # the creator included
    already_in: bool
    pending_invite_id: UUID | None  # the joiner's live direct invite to this challenge
    joined_elsewhere: int  # what challenge_limit counts: open challenges joined, not created
    timezone: str
    plan: str


async def join_counts(
    connection: AsyncConnection, challenge_id: UUID, user_id: UUID, *, now: datetime
) -> JoinCounts | None:
    """None when the user no longer exists. Read under the challenge's row lock when joining."""
    invite = challenge_invites.c
    mine = challenge_participants.alias("mine")
    statement = sa.select(
        sa.select(sa.func.count())
        .where(_p.challenge_id == challenge_id)
        .scalar_subquery()
        .label("participants"),
        sa.exists().where(_p.challenge_id == challenge_id, _p.user_id == user_id).label("already_in"),
        sa.select(invite.id)
        .where(
            invite.challenge_id == challenge_id,
            invite.invite_type == "direct",
            invite.invited_user_id == user_id,
            invite.status == "pending",
            invite.expires_at > now,
        )
        .scalar_subquery()
        .label("pending_invite_id"),
        sa.select(sa.func.count())
        .select_from(mine.join(challenges, challenges.c.id == mine.c.challenge_id))
        .where(
            mine.c.user_id == user_id,
            challenges.c.status.in_([status.value for status in OPEN_STATUSES]),
            challenges.c.created_by.is_distinct_from(user_id),
        )
        .scalar_subquery()
        .label("joined_elsewhere"),
        users.c.timezone,
        users.c.plan,
    ).where(users.c.id == user_id)
    row = (await connection.execute(statement)).first()
    return None if row is None else JoinCounts(**row._mapping)


@dataclass(frozen=True, slots=True)
class ParticipantEntry:
    id: UUID
    challenge_id: UUID
    user_id: UUID
    joined_at: datetime
    points: int
    rank: int
    name: str
    username: str
    profile_picture_url: str | None


async def participant_page(
    connection: AsyncConnection,
    challenge_id: UUID,
    *,
    limit: int,
    after: tuple[datetime, UUID] | None,
) -> list[ParticipantEntry]:
    """Members in the order they joined (joined_at, then id), with points and rank (one statement)."""
    conditions = [_p.challenge_id == challenge_id]
    if after is not None:
        conditions.append(sa.tuple_(_p.joined_at, _p.id) > sa.tuple_(*after))
    statement = (
        sa.select(
            _p.id,
            _p.challenge_id,
            _p.user_id,
            _p.joined_at,
            _lb.points,
            derived_rank(challenge_leaderboard).label("rank"),
            users.c.name,
            users.c.username,
            users.c.profile_picture_url,
        )
        .select_from(
            challenge_participants.join(
                challenge_leaderboard,
                sa.and_(_lb.challenge_id == _p.challenge_id, _lb.user_id == _p.user_id),
            ).join(users, users.c.id == _p.user_id)
        )
        .where(*conditions)
        .order_by(_p.joined_at, _p.id)
        .limit(limit)
    )
    return [ParticipantEntry(**row._mapping) for row in await connection.execute(statement)]
