"""Challenge invitations (§2.8, §3.6 Invite, Invite answers): direct ones to a named user, links with a
code that admit one joiner, and the inbox lists. A pending invite whose expires_at has passed counts as
expired from that instant (the expire_challenge_invites job writes the status later).

Every statement is scoped to the caller: the invitee answers, the sender revokes and lists.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from typing import Any, Final
from uuid import UUID

import sqlalchemy as sa
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.ext.asyncio import AsyncConnection

from db.challenge_lifecycle import delete_invite_inbox
from db.tables import challenge_invites, challenge_participants, challenges, users

__all__ = [
    "InviteEntry",
    "InviteParties",
    "InviteRow",
    "close_invite",
    "insert_link_invite",
    "invite_page",
    "invite_parties",
    "link_invite",
    "mark_accepted",
    "mark_expired",
    "received_invite",
    "sent_invite",
    "upsert_direct_invite",
]

_i = challenge_invites.c


@dataclass(frozen=True, slots=True)
class InviteRow:
    id: UUID
    challenge_id: UUID
    invite_type: str
    invited_by_user_id: UUID
    invited_user_id: UUID | None
    invite_code: str | None
    status: str
    expires_at: datetime
    accepted_at: datetime | None
    created_at: datetime

    def is_live(self, now: datetime) -> bool:
        return self.status == "pending" and self.expires_at > now


_ROW: Final = tuple(_i[name] for name in InviteRow.__dataclass_fields__)


async def _one(connection: AsyncConnection, statement: sa.Select[Any]) -> InviteRow | None:
    row = (await connection.execute(statement)).first()
    return None if row is None else InviteRow(**row._mapping)


async def upsert_direct_invite(
    connection: AsyncConnection,
    challenge_id: UUID,
    inviter: UUID,
    invitee: UUID,
    *,
    now: datetime,
    expires_at: datetime,
) -> InviteRow | None:
    """A new pending invite, or the pair's declined, accepted or expired one reset to pending from this
    inviter (one statement on the direct-invite index). None while a live pending one is there."""
    statement = pg_insert(challenge_invites).values(
        challenge_id=challenge_id,
        invite_type="direct",
        invited_by_user_id=inviter,
        invited_user_id=invitee,
        status="pending",
        expires_at=expires_at,
    )
    upsert = statement.on_conflict_do_update(
        index_elements=[_i.challenge_id, _i.invited_user_id],
        index_where=sa.text("invite_type = 'direct'"),  # the partial index's predicate, literally
        set_={
            "invited_by_user_id": statement.excluded.invited_by_user_id,
            "status": "pending",
            "expires_at": statement.excluded.expires_at,
            "accepted_at": None,
            "created_at": now,
            "updated_at": now,
        },
        where=sa.or_(_i.status != "pending", _i.expires_at <= now),
    ).returning(*_ROW)
    row = (await connection.execute(upsert)).first()
    return None if row is None else InviteRow(**row._mapping)


async def insert_link_invite(
    connection: AsyncConnection, challenge_id: UUID, inviter: UUID, *, code: str, expires_at: datetime
) -> InviteRow:
    statement = (
        sa.insert(challenge_invites)
        .values(
            challenge_id=challenge_id,
            invite_type="link",
            invited_by_user_id=inviter,
            invite_code=code,
            expires_at=expires_at,
        )
        .returning(*_ROW)
    )
    return InviteRow(**(await connection.execute(statement)).one()._mapping)


async def received_invite(connection: AsyncConnection, invite_id: UUID, me: UUID) -> InviteRow | None:
    """A direct invite addressed to the caller, locked for the answer."""
    statement = (
        sa.select(*_ROW)
        .where(_i.id == invite_id, _i.invite_type == "direct", _i.invited_user_id == me)
        .with_for_update()
    )
    return await _one(connection, statement)


async def sent_invite(connection: AsyncConnection, invite_id: UUID, me: UUID) -> InviteRow | None:
    """An invite the caller sent, locked."""
    statement = sa.select(*_ROW).where(_i.id == invite_id, _i.invited_by_user_id == me).with_for_update()
    return await _one(connection, statement)


async def link_invite(connection: AsyncConnection, code: str) -> InviteRow | None:
    """The link invite with this code, locked: of two joiners using it at once, one gets it."""
    statement = sa.select(*_ROW).where(_i.invite_code == code, _i.invite_type == "link").with_for_update()
    return await _one(connection, statement)


async def mark_accepted(connection: AsyncConnection, invite_id: UUID, joiner: UUID, *, now: datetime) -> None:
    """Used: a link records its one joiner; a direct invite already names them."""
    await connection.execute(
        sa.update(challenge_invites)
        .where(_i.id == invite_id)
        .values(status="accepted", invited_user_id=joiner, accepted_at=now, updated_at=now)
    )


async def mark_expired(connection: AsyncConnection, invite_id: UUID, *, now: datetime) -> None:
    await connection.execute(
        sa.update(challenge_invites).where(_i.id == invite_id).values(status="expired", updated_at=now)
    )


async def close_invite(
    connection: AsyncConnection, invite_id: UUID, *, declined: bool, now: datetime
) -> None:
    """Decline (the row stays, declined) or revoke (the row goes), with the invitee's inbox row, in one
    statement."""
    if declined:
        closed = (
            sa.update(challenge_invites)
            .where(_i.id == invite_id)
            .values(status="declined", updated_at=now)
            .returning(_i.id, _i.challenge_id)
            .cte("closed")
        )
    else:
        closed = (
            sa.delete(challenge_invites)
            .where(_i.id == invite_id)
            .returning(_i.id, _i.challenge_id)
            .cte("closed")
        )
    await connection.execute(sa.select(sa.func.count()).select_from(delete_invite_inbox(closed)))


@dataclass(frozen=True, slots=True)
class InviteParties:
    """Who is inviting whom (§3.6 Invite): the inviter's name and referral code for the notice and the
    link, and both memberships. invitee_active is None when the invitee does not exist."""

    inviter_name: str
    inviter_referral_code: str | None
    inviter_in: bool
    invitee_active: bool | None
    invitee_in: bool


async def invite_parties(
    connection: AsyncConnection, challenge_id: UUID, inviter: UUID, invitee: UUID | None
) -> InviteParties:
    """One statement; `invitee` None for a link."""
    p = challenge_participants.c
    target = users.alias("target")

    def member(user_id: UUID | None) -> sa.Exists:
        return sa.exists().where(p.challenge_id == challenge_id, p.user_id == user_id)

    statement = sa.select(
        users.c.name.label("inviter_name"),
        users.c.referral_code.label("inviter_referral_code"),
        member(inviter).label("inviter_in"),
        sa.select(target.c.status == "active")
        .where(target.c.id == invitee)
        .scalar_subquery()
        .label("invitee_active"),
        member(invitee).label("invitee_in"),
    ).where(users.c.id == inviter)
    return InviteParties(**(await connection.execute(statement)).one()._mapping)


@dataclass(frozen=True, slots=True)
class InviteEntry:
    """An invite as the inbox lists show it: the challenge's summary and the other user (the inviter
    for received ones, the invitee for sent ones: none for an unused link)."""

    invite: InviteRow
    challenge_title: str
    challenge_description: str | None
    challenge_start_date: date
    challenge_end_date: date
    challenge_is_public: bool
    challenge_type: str
    challenge_status: str
    other_id: UUID | None
    other_name: str | None
    other_username: str | None
    other_picture: str | None


async def invite_page(
    connection: AsyncConnection,
    me: UUID,
    *,
    received: bool,
    now: datetime,
    limit: int,
    after: tuple[datetime, UUID] | None,
) -> list[InviteEntry]:
    """The caller's live pending invites, received or sent, newest first (one statement)."""
    other = users.alias("other")
    c = challenges.c
    conditions = [_i.status == "pending", _i.expires_at > now]
    if received:
        conditions += [_i.invited_user_id == me, _i.invite_type == "direct"]
        other_id = _i.invited_by_user_id
    else:
        conditions.append(_i.invited_by_user_id == me)
        other_id = _i.invited_user_id
    if after is not None:
        conditions.append(sa.tuple_(_i.created_at, _i.id) < sa.tuple_(*after))
    statement = (
        sa.select(
            *_ROW,
            c.title.label("challenge_title"),
            c.description.label("challenge_description"),
            c.start_date.label("challenge_start_date"),
            c.end_date.label("challenge_end_date"),
            c.is_public.label("challenge_is_public"),
            c.challenge_type.label("challenge_type"),
            c.status.label("challenge_status"),
            other.c.id.label("other_id"),
            other.c.name.label("other_name"),
            other.c.username.label("other_username"),
            other.c.profile_picture_url.label("other_picture"),
        )
        .select_from(
            challenge_invites.join(challenges, c.id == _i.challenge_id).outerjoin(
                other, other.c.id == other_id
            )
        )
        .where(*conditions)
        .order_by(_i.created_at.desc(), _i.id.desc())
        .limit(limit)
    )
    entries = []
    for row in await connection.execute(statement):
        mapping = row._mapping
        invite = InviteRow(**{name: mapping[name] for name in InviteRow.__dataclass_fields__})
        extra = {name: mapping[name] for name in InviteEntry.__dataclass_fields__ if name != "invite"}
        entries.append(InviteEntry(invite=invite, **extra))
    return entries
