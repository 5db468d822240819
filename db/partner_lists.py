"""The caller's partnership lists (§3.4): accepted partners, requests received and sent, blocks, each
row with the other user's public fields and, for the app's home and partners screens, the other
user's active goals of their own local today, all in one statement per page."""

from __future__ import annotations

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

from db.partnerships import PartnershipRow, PartnershipStatus, partnership_columns, partnership_row
from db.tables import accountability_partners, check_ins, goals, users
from domain.streaks import ANSWERED_STATUSES

__all__ = ["PartnerGoal", "PartnerListKind", "PartnerView", "list_partners", "partner_view"]

_ap = accountability_partners


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
        *partnership_columns(),
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
        partnership=partnership_row(row),
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
