"""What a partner may see of another user's goals (§3.4): active goals with their owner's "today".

"Today" is always the goal owner's local date (users.timezone at the request's instant), and a goal
is logged today when the owner's row of that date is answered (completed, skipped or rest day).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any, Final
from uuid import UUID

import sqlalchemy as sa
from sqlalchemy.dialects import postgresql
from sqlalchemy.ext.asyncio import AsyncConnection

from db.partnerships import PartnershipStatus
from db.tables import accountability_partners, check_ins, goals, users
from domain.streaks import ANSWERED_STATUSES

__all__ = ["DashboardGoal", "PartnerDashboardRows", "active_goals_of", "partner_dashboard"]

_ap = accountability_partners
_ANSWERED: Final = sorted(status.value for status in ANSWERED_STATUSES)


@dataclass(frozen=True, slots=True)
class DashboardGoal:
    id: UUID
    user_id: UUID
    title: str
    status: str
    frequency_type: str
    target_days: list[int] | None
    current_streak: int
    owner_today: date
    logged_today: bool


def _owner_today() -> sa.ColumnElement[date]:
    return sa.cast(
        sa.func.timezone(users.c.timezone, sa.bindparam("now", type_=sa.DateTime(timezone=True))), sa.Date
    )


def _goal_columns() -> tuple[sa.ColumnElement[Any], ...]:
    today = _owner_today()
    return (
        goals.c.id,
        goals.c.user_id,
        goals.c.title,
        goals.c.status,
        goals.c.frequency_type,
        goals.c.target_days,
        goals.c.current_streak,
        today.label("owner_today"),
        sa.exists()
        .where(
            check_ins.c.goal_id == goals.c.id,
            check_ins.c.check_in_date == today,
            check_ins.c.status.in_(_ANSWERED),
        )
        .label("logged_today"),
    )


def _goal(mapping: Any) -> DashboardGoal:
    return DashboardGoal(**{name: mapping[name] for name in DashboardGoal.__dataclass_fields__})


async def active_goals_of(
    connection: AsyncConnection, user_ids: Sequence[UUID], *, now: datetime
) -> list[DashboardGoal]:
    """The active goals of every listed user (a page of partners), newest first, in one statement."""
    if not user_ids:
        return []
    statement = (
        sa.select(*_goal_columns())
        .select_from(goals.join(users, users.c.id == goals.c.user_id))
        .where(
            goals.c.user_id
            == sa.any_(sa.bindparam("ids", list(user_ids), type_=postgresql.ARRAY(goals.c.user_id.type))),
            goals.c.status == "active",
        )
        .order_by(goals.c.created_at.desc(), goals.c.id.desc())
    )
    return [_goal(row._mapping) for row in await connection.execute(statement, {"now": now})]


@dataclass(frozen=True, slots=True)
class PartnerDashboardRows:
    partnership_id: UUID
    partnership_created_at: datetime
    partner_id: UUID
    name: str
    username: str
    profile_picture_url: str | None
    is_active: bool
    plan: str
    goals: list[DashboardGoal]


async def partner_dashboard(
    connection: AsyncConnection, me: UUID, partner_id: UUID, *, now: datetime
) -> PartnerDashboardRows | None:
    """The accepted partnership between the caller and `partner_id`, the partner and their active
    goals, in ONE statement (one row per goal, or one row without a goal); None without an accepted
    partnership."""
    low, high = sorted((me, partner_id))
    goal_columns = _goal_columns()
    statement = (
        sa.select(
            _ap.c.id.label("partnership_id"),
            _ap.c.created_at.label("partnership_created_at"),
            users.c.id.label("partner_id"),
            users.c.name,
            users.c.username,
            users.c.profile_picture_url,
            (users.c.status == "active").label("is_active"),
            users.c.plan,
            *(column.label(f"goal_{column.name}") for column in goal_columns),
        )
        .select_from(
            _ap.join(users, users.c.id == partner_id).outerjoin(
                goals, sa.and_(goals.c.user_id == users.c.id, goals.c.status == "active")
            )
        )
        .where(
            sa.func.least(_ap.c.user_id, _ap.c.partner_user_id) == low,
            sa.func.greatest(_ap.c.user_id, _ap.c.partner_user_id) == high,
            _ap.c.status == PartnershipStatus.ACCEPTED.value,
        )
        .order_by(goals.c.created_at.desc(), goals.c.id.desc())
    )
    rows = (await connection.execute(statement, {"now": now})).all()
    if not rows or me == partner_id:
        return None
    first = rows[0]._mapping
    found = [
        _goal({name: row._mapping[f"goal_{name}"] for name in DashboardGoal.__dataclass_fields__})
        for row in rows
        if row._mapping["goal_id"] is not None
    ]
    return PartnerDashboardRows(
        partnership_id=first["partnership_id"],
        partnership_created_at=first["partnership_created_at"],
        partner_id=first["partner_id"],
        name=first["name"],
        username=first["username"],
        profile_picture_url=first["profile_picture_url"],
        is_active=first["is_active"],
        plan=first["plan"],
        goals=found,
    )
