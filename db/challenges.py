"""Challenges (§2.8, §3.6): the rows, who may see them, the lists and the detail, and the writes of the
challenge routes (create, edit, cancel, delete). Memberships are db/challenge_members.py's, invitations
db/challenge_invites.py's.

Every read by id below filters with db/challenge_access.py's `visible_to` (§3.6 Visibility), so
another user's private challenge is simply absent (404).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from typing import Any, Final
from uuid import UUID

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncConnection

from db.challenge_access import invited, visible_to
from db.challenge_lifecycle import delete_invite_inbox
from db.challenge_ranks import derived_rank
from db.tables import (
    challenge_invites,
    challenge_leaderboard,
    challenge_participants,
    challenges,
    users,
)
from domain.challenge_rules import OPEN_STATUSES, ChallengeStatus

__all__ = [
    "CHALLENGE_FIELDS",
    "ChallengeListFilter",
    "ChallengeRow",
    "ChallengeView",
    "challenge_page",
    "challenge_view",
    "delete_lone_challenge",
    "insert_challenge",
    "locked_challenge",
    "update_challenge",
    "visible_challenge",
]

_c = challenges.c
_p = challenge_participants.c

CHALLENGE_FIELDS: Final = (
    "id",
    "title",
    "description",
    "challenge_type",
    "duration_days",
    "start_date",
    "end_date",
    "join_deadline",
    "timezone",
    "is_public",
    "max_participants",
    "created_by",
    "status",
    "cancelled_reason",
    "cancelled_at",
    "category",
    "frequency",
    "days_of_week",
    "target_days",
    "target_checkins",
    "reminder_times",
    "tracking_type",
    "metadata",
    "created_at",
    "updated_at",
)
_COLUMNS: Final = tuple(_c[name] for name in CHALLENGE_FIELDS)


@dataclass(frozen=True, slots=True)
class ChallengeRow:
    id: UUID
    title: str
    description: str | None
    challenge_type: str
    duration_days: int
    start_date: date
    end_date: date
    join_deadline: date | None
    timezone: str
    is_public: bool
    max_participants: int | None
    created_by: UUID | None
    status: str
    cancelled_reason: str | None
    cancelled_at: datetime | None
    category: str | None
    frequency: str
    days_of_week: list[int] | None
    target_days: int | None
    target_checkins: int | None
    reminder_times: list[str]
    tracking_type: str
    metadata: dict[str, Any]
    created_at: datetime
    updated_at: datetime

    @property
    def is_open(self) -> bool:
        return self.status in OPEN_STATUSES


def _challenge_row(mapping: Any) -> ChallengeRow:
    return ChallengeRow(**{name: mapping[name] for name in CHALLENGE_FIELDS})


def _is_participant(user_id: UUID) -> sa.Exists:
    return sa.exists().where(_p.challenge_id == _c.id, _p.user_id == user_id)


async def visible_challenge(
    connection: AsyncConnection, user_id: UUID, challenge_id: UUID
) -> ChallengeRow | None:
    row = (
        await connection.execute(sa.select(*_COLUMNS).where(_c.id == challenge_id, visible_to(user_id)))
    ).first()
    return None if row is None else _challenge_row(row._mapping)


async def locked_challenge(connection: AsyncConnection, challenge_id: UUID) -> ChallengeRow | None:
    """The row, locked until the transaction ends: joins count participants under this lock, so two
    can never both take the last place (§3.6 Join). Callers check visibility first."""
    row = (
        await connection.execute(sa.select(*_COLUMNS).where(_c.id == challenge_id).with_for_update())
    ).first()
    return None if row is None else _challenge_row(row._mapping)


async def insert_challenge(connection: AsyncConnection, values: dict[str, Any]) -> ChallengeRow:
    row = (await connection.execute(sa.insert(challenges).values(values).returning(*_COLUMNS))).one()
    return _challenge_row(row._mapping)


async def update_challenge(
    connection: AsyncConnection, challenge_id: UUID, changes: dict[str, Any], *, now: datetime
) -> None:
    await connection.execute(
        sa.update(challenges).where(_c.id == challenge_id).values(**changes, updated_at=now)
    )


async def delete_lone_challenge(connection: AsyncConnection, challenge_id: UUID) -> bool:
    """Delete the challenge when nobody but its creator is in it (memberships, scores and invites
    cascade; the invites' inbox rows go in the same statement). False when someone else joined."""
    gone = (
        sa.delete(challenges)
        .where(
            _c.id == challenge_id,
            ~sa.exists().where(_p.challenge_id == _c.id, _p.user_id.is_distinct_from(_c.created_by)),
        )
        .returning(_c.id)
        .cte("gone")
    )
    invites = (
        sa.select(challenge_invites.c.id, challenge_invites.c.challenge_id)
        .where(challenge_invites.c.challenge_id.in_(sa.select(gone.c.id)))
        .cte("invites")
    )
    inbox = delete_invite_inbox(invites)
    statement = sa.select(gone.c.id).add_cte(invites, inbox)
    return (await connection.execute(statement)).first() is not None


# --- Reads with the caller's standing ------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class ChallengeView:
    """A challenge as one caller sees it: the row, the creator's public fields, the head count and
    the caller's membership and standing (rank derived when read, db/challenge_ranks.py)."""

    challenge: ChallengeRow
    creator_name: str | None
    creator_username: str | None
    creator_picture: str | None
    participants_count: int
    is_participant: bool
    is_partner_view: bool
    my_points: int | None
    my_rank: int | None


def _view_statement(me: UUID) -> sa.Select[Any]:
    mine = challenge_leaderboard.alias("mine")
    creator = users.alias("creator")
    count = sa.select(sa.func.count()).where(_p.challenge_id == _c.id).correlate(challenges).scalar_subquery()
    participant = mine.c.user_id.is_not(None)
    # Seen only through a partner's membership: read-only (§3.6 Visibility).
    partner_view = sa.and_(
        ~participant,
        ~_c.is_public,
        _c.created_by.is_distinct_from(me),
        ~invited(me),
    )
    return sa.select(
        *_COLUMNS,
        creator.c.name.label("creator_name"),
        creator.c.username.label("creator_username"),
        creator.c.profile_picture_url.label("creator_picture"),
        count.label("participants_count"),
        participant.label("is_participant"),
        partner_view.label("is_partner_view"),
        mine.c.points.label("my_points"),
        sa.case((participant, derived_rank(mine))).label("my_rank"),
    ).select_from(
        challenges.outerjoin(creator, creator.c.id == _c.created_by).outerjoin(
            mine, sa.and_(mine.c.challenge_id == _c.id, mine.c.user_id == me)
        )
    )


def _view(mapping: Any) -> ChallengeView:
    return ChallengeView(
        challenge=_challenge_row(mapping),
        creator_name=mapping["creator_name"],
        creator_username=mapping["creator_username"],
        creator_picture=mapping["creator_picture"],
        participants_count=mapping["participants_count"],
        is_participant=mapping["is_participant"],
        is_partner_view=mapping["is_partner_view"],
        my_points=mapping["my_points"],
        my_rank=mapping["my_rank"],
    )


async def challenge_view(connection: AsyncConnection, me: UUID, challenge_id: UUID) -> ChallengeView | None:
    """The detail of a challenge the caller may see (one statement); None otherwise."""
    statement = _view_statement(me).where(_c.id == challenge_id, visible_to(me))
    row = (await connection.execute(statement)).first()
    return None if row is None else _view(row._mapping)


@dataclass(frozen=True, slots=True)
class ChallengeListFilter:
    """Which challenges a list shows: `mine` = created or joined, else public ones and mine; `public`
    narrows to public ones; cancelled ones only when `status` asks for them."""

    mine: bool = False
    public: bool | None = None
    status: str | None = None


async def challenge_page(
    connection: AsyncConnection,
    me: UUID,
    which: ChallengeListFilter,
    *,
    limit: int,
    after: tuple[datetime, UUID] | None,
) -> list[ChallengeView]:
    """Newest first (created_at, id), strictly after the keyset position `after` (one statement)."""
    mine = sa.or_(_c.created_by == me, _is_participant(me))
    conditions: list[sa.ColumnElement[bool]] = [mine if which.mine else sa.or_(_c.is_public, mine)]
    if which.public is not None:
        conditions.append(_c.is_public.is_(which.public))
    if which.status is not None:
        conditions.append(_c.status == which.status)
    else:
        conditions.append(_c.status != ChallengeStatus.CANCELLED.value)
    if after is not None:
        conditions.append(sa.tuple_(_c.created_at, _c.id) < sa.tuple_(*after))
    statement = (
        _view_statement(me).where(*conditions).order_by(_c.created_at.desc(), _c.id.desc()).limit(limit)
    )
    return [_view(row._mapping) for row in await connection.execute(statement)]
