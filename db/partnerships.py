"""Accountability partnerships (§3.4): one row per unordered pair, whichever way the request went.

A pending row whose expires_at has passed is treated as absent everywhere (lists, limits, accept,
search) from that instant on: every read below filters with `_live`, and a new request between the
same pair deletes it first. Every statement is scoped to the caller: the caller is one of the pair.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date, datetime
from enum import StrEnum
from functools import cache
from typing import Any, Final
from uuid import UUID

import sqlalchemy as sa
from sqlalchemy.dialects import postgresql
from sqlalchemy.ext.asyncio import AsyncConnection
from sqlalchemy.sql.selectable import LateralFromClause

from db.tables import accountability_partners, check_ins, goals, notification_history, social_nudges, users
from domain.notification_types import EntityType
from domain.streaks import ANSWERED_STATUSES

__all__ = [
    "LimitCount",
    "PartnerGoal",
    "PartnerListKind",
    "PartnerView",
    "PartnershipRow",
    "PartnershipStatus",
    "accept_partnership",
    "block_pair",
    "blocked_between",
    "delete_expired_pair",
    "delete_partnership",
    "insert_request",
    "limit_counts",
    "list_partners",
    "lock_partner_limits",
    "pair_row",
    "partner_view",
    "partnership_by_id",
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


def _row(row: sa.Row[Any]) -> PartnershipRow:
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
    return None if row is None else _row(row)


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
    return _row(result.one())


async def partnership_by_id(
    connection: AsyncConnection, me: UUID, partnership_id: UUID, *, now: datetime, lock: bool = False
) -> PartnershipRow | None:
    """The live row with this id when the caller is one of its pair; locked with `lock`."""
    statement = sa.select(*_ROW_COLUMNS).where(_ap.c.id == partnership_id, _involves(me), _live(now))
    if lock:
        statement = statement.with_for_update()
    row = (await connection.execute(statement)).first()
    return None if row is None else _row(row)


async def accept_partnership(
    connection: AsyncConnection, partnership_id: UUID, *, now: datetime
) -> PartnershipRow:
    result = await connection.execute(
        sa.update(_ap)
        .where(_ap.c.id == partnership_id)
        .values(status=PartnershipStatus.ACCEPTED.value, accepted_at=now, expires_at=None, updated_at=now)
        .returning(*_ROW_COLUMNS)
    )
    return _row(result.one())


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


# --- Lists ------------------------------------------------------------------------------------------


class PartnerListKind(StrEnum):
    ACCEPTED = "accepted"
    RECEIVED = "received"  # pending requests sent to me
    SENT = "sent"  # pending requests I sent
    BLOCKED = "blocked"  # rows I blocked


@dataclass(frozen=True, slots=True)
class PartnerGoal:
    """An active goal as a partner sees it, "today" being its owner's local date."""

    id: UUID
    user_id: UUID
    title: str
    status: str
    frequency_type: str
    target_days: list[int] | None
    current_streak: int
    owner_today: date
    logged_today: bool  # the owner's row of that date is answered (completed, skipped, rest day)


@dataclass(frozen=True, slots=True)
class PartnerView:
    """A partnership row as the caller sees it, with the other user's public fields."""

    partnership: PartnershipRow
    other_id: UUID
    other_name: str
    other_username: str
    other_picture: str | None
    other_active: bool
    other_plan: str
    other_has_active_goals: bool
    other_goals: list[PartnerGoal] | None  # their active goals, newest first, when asked for


_ME = sa.bindparam("me", type_=_ap.c.user_id.type)
_NOW = sa.bindparam("now", type_=sa.DateTime(timezone=True))
_ANSWERED = sa.bindparam(
    "answered_statuses",
    sorted(status.value for status in ANSWERED_STATUSES),
    type_=postgresql.ARRAY(check_ins.c.status.type),
)
_other = users.alias("other")
_other_today = sa.cast(sa.func.timezone(_other.c.timezone, _NOW), sa.Date)
_GOAL_FIELDS: Final = ("id", "title", "status", "frequency_type", "target_days", "current_streak")


def _goals_json() -> LateralFromClause:
    """The other user's active goals as one JSON array per row (a lateral subquery): the whole page's
    goals come with the page, in its one statement."""
    logged = (
        sa.exists()
        .where(
            check_ins.c.goal_id == goals.c.id,
            check_ins.c.check_in_date == _other_today,
            check_ins.c.status == sa.any_(_ANSWERED),
        )
        .correlate(goals, _other)
    )
    fields = [item for name in _GOAL_FIELDS for item in (sa.literal(name), goals.c[name])]
    goal_object = sa.func.json_build_object(*fields, sa.literal("logged_today"), logged)
    aggregated = sa.func.coalesce(
        sa.func.json_agg(
            postgresql.aggregate_order_by(goal_object, goals.c.created_at.desc(), goals.c.id.desc())
        ),
        sa.text("'[]'::json"),
    )
    return (
        sa.select(sa.type_coerce(aggregated, postgresql.JSON).label("other_goals"))
        .where(goals.c.user_id == _other.c.id, goals.c.status == "active")
        .correlate(_other)
        .lateral("other_goals")
    )


def _view_select(*, with_goals: bool) -> sa.Select[Any]:
    other_id = sa.case((_ap.c.user_id == _ME, _ap.c.partner_user_id), else_=_ap.c.user_id)
    has_active = sa.exists().where(goals.c.user_id == _other.c.id, goals.c.status == "active")
    source = _ap.join(_other, _other.c.id == other_id)
    extra: list[sa.ColumnElement[Any]] = [sa.null().label("other_goals"), sa.null().label("other_today")]
    if with_goals:
        goals_json = _goals_json()
        source = source.outerjoin(goals_json, sa.true())
        extra = [goals_json.c.other_goals, _other_today.label("other_today")]
    return sa.select(
        *_ROW_COLUMNS,
        _other.c.id.label("other_id"),
        _other.c.name.label("other_name"),
        _other.c.username.label("other_username"),
        _other.c.profile_picture_url.label("other_picture"),
        (_other.c.status == "active").label("other_active"),
        _other.c.plan.label("other_plan"),
        has_active.label("other_has_active_goals"),
        *extra,
    ).select_from(source)


def _view(row: sa.Row[Any]) -> PartnerView:
    mapping = row._mapping
    goals_of_other = None
    if mapping["other_goals"] is not None:
        goals_of_other = [
            PartnerGoal(
                id=UUID(goal["id"]),
                user_id=mapping["other_id"],
                title=goal["title"],
                status=goal["status"],
                frequency_type=goal["frequency_type"],
                target_days=goal["target_days"],
                current_streak=goal["current_streak"],
                owner_today=mapping["other_today"],
                logged_today=goal["logged_today"],
            )
            for goal in mapping["other_goals"]
        ]
    return PartnerView(
        partnership=_row(row),
        other_id=mapping["other_id"],
        other_name=mapping["other_name"],
        other_username=mapping["other_username"],
        other_picture=mapping["other_picture"],
        other_active=mapping["other_active"],
        other_plan=mapping["other_plan"],
        other_has_active_goals=mapping["other_has_active_goals"],
        other_goals=goals_of_other,
    )


def _kind_filter(kind: PartnerListKind) -> sa.ColumnElement[bool]:
    pending = sa.and_(_ap.c.status == PartnershipStatus.PENDING.value, _ap.c.expires_at > _NOW)
    mine = sa.or_(_ap.c.user_id == _ME, _ap.c.partner_user_id == _ME)
    if kind is PartnerListKind.ACCEPTED:
        return sa.and_(mine, _ap.c.status == PartnershipStatus.ACCEPTED.value)
    if kind is PartnerListKind.RECEIVED:
        return sa.and_(_ap.c.partner_user_id == _ME, pending)
    if kind is PartnerListKind.SENT:
        return sa.and_(_ap.c.user_id == _ME, pending)
    return sa.and_(mine, _ap.c.status == PartnershipStatus.BLOCKED.value, _ap.c.blocked_by == _ME)


@cache
def _list_statement(
    kind: PartnerListKind, *, with_goals: bool, keyset: bool, limited: bool
) -> sa.Select[Any]:
    """One statement per list shape, built once: values are bound at execution, so SQLAlchemy reuses
    the compiled form without re-hashing the statement on every call."""
    statement = _view_select(with_goals=with_goals).where(_kind_filter(kind))
    if keyset:
        after = sa.tuple_(
            sa.bindparam("after_created_at", type_=_ap.c.created_at.type),
            sa.bindparam("after_id", type_=_ap.c.id.type),
        )
        statement = statement.where(sa.tuple_(_ap.c.created_at, _ap.c.id) < after)
    statement = statement.order_by(_ap.c.created_at.desc(), _ap.c.id.desc())
    return statement.limit(sa.bindparam("limit", type_=sa.Integer)) if limited else statement


async def list_partners(
    connection: AsyncConnection,
    me: UUID,
    kind: PartnerListKind,
    *,
    now: datetime,
    limit: int | None,
    after: tuple[datetime, UUID] | None = None,
    with_goals: bool = False,
) -> list[PartnerView]:
    """The caller's rows of one kind, newest first, keyset-paged after (created_at, id); every row
    when `limit` is None. `with_goals` adds each other user's active goals (one statement still)."""
    statement = _list_statement(
        kind, with_goals=with_goals, keyset=after is not None, limited=limit is not None
    )
    parameters: dict[str, Any] = {"me": me, "now": now, "limit": limit}
    if after is not None:
        parameters["after_created_at"], parameters["after_id"] = after
    return [_view(row) for row in await connection.execute(statement, parameters)]


_ONE_VIEW: Final = _view_select(with_goals=False).where(_ap.c.id == sa.bindparam("partnership_id"))


async def partner_view(connection: AsyncConnection, me: UUID, partnership_id: UUID) -> PartnerView:
    """One row as the caller sees it (after a write in the same transaction)."""
    result = await connection.execute(_ONE_VIEW, {"me": me, "partnership_id": partnership_id})
    return _view(result.one())
