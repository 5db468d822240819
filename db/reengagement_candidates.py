"""Who might get the daily re-engagement notice (§3.11): one keyset page of users with their counts.

One statement per page of users: the users of the zones where it is the notice hour (onboarded,
active account), each with the number of missed check-ins in the 14 local days before today and
whether one of their active goals is scheduled today. Missed rows are counted (trap 5) through the
(user_id, status, check_in_date) index.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date
from typing import Any
from uuid import UUID

import sqlalchemy as sa
from sqlalchemy.dialects.postgresql import ARRAY
from sqlalchemy.ext.asyncio import AsyncConnection
from sqlalchemy.sql.selectable import TableValuedAlias

from db.tables import check_ins, goals, users

__all__ = [
    "FIRST_PAGE_AFTER",
    "MISSED_WINDOW_DAYS",
    "ReengagementCheck",
    "ZoneDay",
    "reengagement_checks",
    "zone_day_parameters",
    "zone_day_table",
]

# Missed check-ins count over the 14 local days before today (today excluded).
MISSED_WINDOW_DAYS = 14
FIRST_PAGE_AFTER = UUID(int=0)


@dataclass(frozen=True, slots=True)
class ZoneDay:
    """A time zone and its local date at the run's instant."""

    timezone: str
    local_date: date


@dataclass(frozen=True, slots=True)
class ReengagementCheck:
    user_id: UUID
    name: str
    local_date: date
    missed_count: int
    has_goal_today: bool


def zone_day_table() -> TableValuedAlias:
    """The zone days of a run as a table (timezone, local_date), bound by `zone_day_parameters`; the
    local-10:00 jobs join users to it on timezone."""
    return (
        sa.func.unnest(
            sa.bindparam("zones", type_=ARRAY(sa.Text)), sa.bindparam("local_dates", type_=ARRAY(sa.Date))
        )
        .table_valued(sa.column("timezone", sa.Text), sa.column("local_date", sa.Date), name="zone")
        .render_derived()
    )


def zone_day_parameters(zone_days: Sequence[ZoneDay]) -> dict[str, list[Any]]:
    return {
        "zones": [zone_day.timezone for zone_day in zone_days],
        "local_dates": [zone_day.local_date for zone_day in zone_days],
    }


def _statement() -> sa.Select[Any]:
    zone = zone_day_table()
    page = (
        sa.select(users.c.id, users.c.name, zone.c.local_date)
        .join(zone, zone.c.timezone == users.c.timezone)
        .where(
            users.c.id > sa.bindparam("after", type_=users.c.id.type),
            users.c.status == "active",
            users.c.onboarding_completed_at.is_not(None),
        )
        .order_by(users.c.id)
        .limit(sa.bindparam("limit", type_=sa.Integer))
        .subquery("page")
    )
    missed_count = (
        sa.select(sa.func.count())
        .where(
            check_ins.c.user_id == page.c.id,
            check_ins.c.status == "missed",
            check_ins.c.check_in_date >= page.c.local_date - MISSED_WINDOW_DAYS,
            check_ins.c.check_in_date < page.c.local_date,
        )
        .scalar_subquery()
    )
    # domain.schedule.is_scheduled in SQL: daily, or the local weekday (0 = Sunday, as DOW counts) is
    # one of the target days.
    scheduled_today = sa.or_(
        goals.c.frequency_type == "daily",
        sa.cast(sa.extract("dow", page.c.local_date), sa.SmallInteger) == sa.any_(goals.c.target_days),
    )
    has_goal_today = (
        sa.select(goals.c.id)
        .where(goals.c.user_id == page.c.id, goals.c.status == "active", scheduled_today)
        .exists()
    )
    return sa.select(
        page.c.id,
        page.c.name,
        page.c.local_date,
        missed_count.label("missed_count"),
        has_goal_today.label("has_goal_today"),
    ).order_by(page.c.id)


_REENGAGEMENT_CHECKS = _statement()


async def reengagement_checks(
    connection: AsyncConnection, zone_days: Sequence[ZoneDay], *, after: UUID, limit: int
) -> list[ReengagementCheck]:
    """The next `limit` onboarded active users (by id, after `after`) living in `zone_days`, with their
    counts. Pass the last returned id as `after` for the next page; fewer than `limit` ends the walk."""
    if not zone_days:
        return []
    result = await connection.execute(
        _REENGAGEMENT_CHECKS,
        {**zone_day_parameters(zone_days), "after": after, "limit": limit},
    )
    return [
        ReengagementCheck(
            user_id=row.id,
            name=row.name,
            local_date=row.local_date,
            missed_count=row.missed_count,
            has_goal_today=row.has_goal_today,
        )
        for row in result
    ]
