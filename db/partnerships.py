"""Accountability partnerships (§3.4): one row per unordered pair, whichever way the request went.

A pending row whose expires_at has passed is treated as absent everywhere (lists, limits, accept,
search) from that instant on: every read below filters with `_live`, and a new request between the
same pair deletes it first. Every statement is scoped to the caller: the caller is one of the pair.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum
from typing import Any, Final
from uuid import UUID

import sqlalchemy as sa
from sqlalchemy.dialects import postgresql
from sqlalchemy.ext.asyncio import AsyncConnection

from db.tables import accountability_partners, notification_history, social_nudges, users
from domain.notification_types import EntityType

__all__ = [
    "LimitCount",
    "PartnershipRow",
    "PartnershipStatus",
    "accept_partnership",
    "block_pair",
    "blocked_between",
    "delete_expired_pair",
    "delete_partnership",
    "insert_request",
    "limit_counts",
    "lock_partner_limits",
    "pair_row",
    "partnership_by_id",
    "partnership_columns",
    "partnership_row",
]

_ap = accountability_partners
_UUID_ARRAY = postgresql.ARRAY(postgresql.UUID(as_uuid=True))


class PartnershipStatus(StrEnum):
    PENDING = "pending"
    ACCEPTED = "accepted"
    BLOCKED = "blocked"


@dataclass(frozen=True, slots=True)
class PartnershipRow:
    id: UUID
    user_id: UUID  # the sender of the request
    partner_user_id: UUID  # its receiver
    status: str
    initiated_by_user_id: UUID
    blocked_by: UUID | None
    created_at: datetime
    accepted_at: datetime | None
    expires_at: datetime | None

    def other(self, me: UUID) -> UUID:
        return self.partner_user_id if self.user_id == me else self.user_id


_ROW_COLUMNS: Final = tuple(_ap.c[name] for name in PartnershipRow.__dataclass_fields__)


def _live(now: datetime) -> sa.ColumnElement[bool]:
    """Not an expired request: expired pending rows are invisible from the instant they expire."""
    return sa.or_(_ap.c.status != PartnershipStatus.PENDING.value, _ap.c.expires_at > now)


def _pair(a: UUID, b: UUID) -> sa.ColumnElement[bool]:
    # Written as the unique index's expressions, so the lookup uses uq_accountability_partners_pair.
    low, high = sorted((a, b))
    return sa.and_(
        sa.func.least(_ap.c.user_id, _ap.c.partner_user_id) == low,
        sa.func.greatest(_ap.c.user_id, _ap.c.partner_user_id) == high,
    )


def _involves(user_id: UUID) -> sa.ColumnElement[bool]:
    return sa.or_(_ap.c.user_id == user_id, _ap.c.partner_user_id == user_id)


def partnership_columns() -> tuple[sa.Column[Any], ...]:
    """The columns a PartnershipRow is read from (for other modules' selects)."""
    return _ROW_COLUMNS


def partnership_row(row: sa.Row[Any]) -> PartnershipRow:
    return PartnershipRow(**{name: row._mapping[name] for name in PartnershipRow.__dataclass_fields__})


async def lock_partner_limits(connection: AsyncConnection, user_ids: Iterable[UUID]) -> None:
    """Serialise every change to these users' partner counts until the transaction ends. One
    statement takes the locks in id order (PostgreSQL evaluates a volatile select list after the
    sort), so two transactions locking the same pair cannot deadlock (§3.4 Accept)."""
    ids = sa.func.unnest(sa.bindparam("ids", sorted(set(user_ids)), type_=_UUID_ARRAY)).column_valued("id")
    await connection.execute(
        sa.select(
            sa.func.pg_advisory_xact_lock(
                sa.func.hashtext("partners.limit"), sa.func.hashtext(sa.cast(ids, sa.Text))
            )
        ).order_by(ids)
    )


@dataclass(frozen=True, slots=True)
class LimitCount:
    name: str
    is_active: bool  # the account's status is active
    plan: str  # the user's effective plan (users.plan), whose features set the limit
    accepted: int
    pending_sent: int

    @property
    def total(self) -> int:
        return self.accepted + self.pending_sent


async def limit_counts(
    connection: AsyncConnection,
    user_ids: Sequence[UUID],
    *,
    now: datetime,
    excluding: UUID | None = None,
) -> dict[UUID, LimitCount]:
    """What counts toward each user's partner limit (§3.4), the one definition every route uses:
    accepted partnerships on either side plus unexpired pending requests the user sent, leaving out
    partners whose account is not active. `excluding` leaves one partnership out (the request being
    accepted). One statement for all the users; a user that no longer exists is absent."""
    ids = sa.bindparam("ids", list(user_ids), type_=_UUID_ARRAY)
    live = sa.or_(
        _ap.c.status == PartnershipStatus.ACCEPTED.value,
        sa.and_(_ap.c.status == PartnershipStatus.PENDING.value, _ap.c.expires_at > now),
    )
    sides = sa.union_all(
        sa.select(
            _ap.c.id, _ap.c.user_id.label("me"), _ap.c.partner_user_id.label("other"), _ap.c.status
        ).where(_ap.c.user_id == sa.any_(ids), live),
        sa.select(
            _ap.c.id, _ap.c.partner_user_id.label("me"), _ap.c.user_id.label("other"), _ap.c.status
        ).where(_ap.c.partner_user_id == sa.any_(ids), _ap.c.status == PartnershipStatus.ACCEPTED.value),
    ).subquery("sides")
    other = users.alias("other")
    counted_rows = (
        sa.select(sides.c.me, sides.c.status)
        .select_from(sides.join(other, other.c.id == sides.c.other))
        .where(other.c.status == "active")
    )
    if excluding is not None:
        counted_rows = counted_rows.where(sides.c.id != excluding)
    counted = counted_rows.subquery("counted")
    statement = (
        sa.select(
            users.c.id,
            users.c.name,
            (users.c.status == "active").label("is_active"),
            users.c.plan,
            sa.func.count(counted.c.me)
            .filter(counted.c.status == PartnershipStatus.ACCEPTED.value)
            .label("accepted"),
            sa.func.count(counted.c.me)
            .filter(counted.c.status == PartnershipStatus.PENDING.value)
            .label("pending_sent"),
        )
        .select_from(users.outerjoin(counted, counted.c.me == users.c.id))
        .where(users.c.id == sa.any_(ids))
        .group_by(users.c.id)
    )
    return {
        row.id: LimitCount(row.name, row.is_active, row.plan, row.accepted, row.pending_sent)
        for row in await connection.execute(statement)
    }


async def pair_row(connection: AsyncConnection, a: UUID, b: UUID, *, now: datetime) -> PartnershipRow | None:
    """The live row between two users, whichever way it points."""
    row = (await connection.execute(sa.select(*_ROW_COLUMNS).where(_pair(a, b), _live(now)))).first()
    return None if row is None else partnership_row(row)


async def blocked_between(connection: AsyncConnection, a: UUID, b: UUID) -> bool:
    """Whether either of the two blocked the other."""
    statement = sa.select(sa.exists().where(_pair(a, b), _ap.c.status == PartnershipStatus.BLOCKED.value))
    return bool((await connection.execute(statement)).scalar())


def _inbox_of(
    partnership_ids: sa.ColumnElement[Any] | sa.Select[Any], *, with_nudges: bool
) -> sa.ColumnElement[bool]:
    """The inbox rows that point at these partnerships: their request and accepted notices and, with
    `with_nudges`, the notices of their nudges (deleted before the nudges cascade away)."""
    conditions = [
        sa.and_(
            notification_history.c.entity_type.in_(
                (EntityType.PARTNER_REQUEST.value, EntityType.PARTNER_ACCEPTED.value)
            ),
            notification_history.c.entity_id.in_(partnership_ids),
        )
    ]
    if with_nudges:
        conditions.append(
            sa.and_(
                notification_history.c.entity_type == EntityType.NUDGE.value,
                notification_history.c.entity_id.in_(
                    sa.select(social_nudges.c.id).where(social_nudges.c.partnership_id.in_(partnership_ids))
                ),
            )
        )
    return sa.or_(*conditions)


async def delete_expired_pair(connection: AsyncConnection, a: UUID, b: UUID, *, now: datetime) -> None:
    """Delete an expired request between the two, with its inbox rows, so a new one can be made."""
    expired = (
        sa.select(_ap.c.id)
        .where(_pair(a, b), _ap.c.status == PartnershipStatus.PENDING.value, _ap.c.expires_at <= now)
        .cte("expired")
    )
    inbox = (
        sa.delete(notification_history)
        .where(_inbox_of(sa.select(expired.c.id), with_nudges=False))
        .cte("inbox")
    )
    await connection.execute(sa.delete(_ap).where(_ap.c.id.in_(sa.select(expired.c.id))).add_cte(inbox))


async def insert_request(
    connection: AsyncConnection, sender_id: UUID, receiver_id: UUID, *, expires_at: datetime
) -> PartnershipRow:
    """A new pending row; a concurrent row for the same pair makes this raise the unique violation."""
    result = await connection.execute(
        sa.insert(_ap)
        .values(
            user_id=sender_id,
            partner_user_id=receiver_id,
            initiated_by_user_id=sender_id,
            status=PartnershipStatus.PENDING.value,
            expires_at=expires_at,
        )
        .returning(*_ROW_COLUMNS)
    )
    return partnership_row(result.one())


async def partnership_by_id(
    connection: AsyncConnection, me: UUID, partnership_id: UUID, *, now: datetime, lock: bool = False
) -> PartnershipRow | None:
    """The live row with this id when the caller is one of its pair; locked with `lock`."""
    statement = sa.select(*_ROW_COLUMNS).where(_ap.c.id == partnership_id, _involves(me), _live(now))
    if lock:
        statement = statement.with_for_update()
    row = (await connection.execute(statement)).first()
    return None if row is None else partnership_row(row)


async def accept_partnership(
    connection: AsyncConnection, partnership_id: UUID, *, now: datetime
) -> PartnershipRow:
    result = await connection.execute(
        sa.update(_ap)
        .where(_ap.c.id == partnership_id)
        .values(status=PartnershipStatus.ACCEPTED.value, accepted_at=now, expires_at=None, updated_at=now)
        .returning(*_ROW_COLUMNS)
    )
    return partnership_row(result.one())


async def delete_partnership(connection: AsyncConnection, partnership_id: UUID) -> None:
    """Delete the row (its nudges cascade) and every inbox row that points at it or its nudges."""
    ids = sa.select(sa.literal(partnership_id, type_=_ap.c.id.type))
    inbox = sa.delete(notification_history).where(_inbox_of(ids, with_nudges=True)).cte("inbox")
    await connection.execute(sa.delete(_ap).where(_ap.c.id == partnership_id).add_cte(inbox))


async def block_pair(
    connection: AsyncConnection, me: UUID, other: UUID, *, now: datetime, partnership_id: UUID | None
) -> UUID:
    """Turn the pair's row into a block by `me` (inserting one when there is none), and delete its
    nudges and the inbox rows of its nudges and request notices, in one statement. Returns the row id."""
    if partnership_id is not None:
        ids = sa.select(sa.literal(partnership_id, type_=_ap.c.id.type))
        inbox = sa.delete(notification_history).where(_inbox_of(ids, with_nudges=True)).cte("inbox")
        nudges = (
            sa.delete(social_nudges).where(social_nudges.c.partnership_id == partnership_id).cte("nudges")
        )
        await connection.execute(
            sa.update(_ap)
            .where(_ap.c.id == partnership_id)
            .values(
                status=PartnershipStatus.BLOCKED.value,
                blocked_by=me,
                expires_at=None,
                accepted_at=None,
                updated_at=now,
            )
            .add_cte(inbox)
            .add_cte(nudges)
        )
        return partnership_id
    inserted = await connection.execute(
        sa.insert(_ap)
        .values(
            user_id=me,
            partner_user_id=other,
            initiated_by_user_id=me,
            status=PartnershipStatus.BLOCKED.value,
            blocked_by=me,
        )
        .returning(_ap.c.id)
    )
    new_id: UUID = inserted.scalar_one()
    return new_id
