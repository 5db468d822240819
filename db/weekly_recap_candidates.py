"""Who gets a weekly recap in this run (§4 generate_weekly_recaps): one keyset page of users.

The users of the zones where it is Monday 10:00–10:59 (the run's zone days), whose effective plan is
one of `plans` (those with weekly recaps), with an active account and an active goal, and without the
recap of the week that ended yesterday. Served by (plan, timezone, id) on users, (user_id, status) on
goals and UNIQUE (user_id, week_start) on weekly_recaps: no scan of all users.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any, Final
from uuid import UUID

import sqlalchemy as sa
from sqlalchemy.dialects.postgresql import ARRAY
from sqlalchemy.ext.asyncio import AsyncConnection

from db.reengagement_candidates import ZoneDay, zone_day_parameters, zone_day_table
from db.tables import goals, users, weekly_recaps
from db.users import ACTIVE_STATUS
from db.weekly_recap_stats import RecapTarget
from domain.goal_rules import GoalStatus

__all__ = ["recap_candidates"]


def _statement() -> sa.Select[Any]:
    zone = zone_day_table()
    # The zone's local date is the Monday after the recap week.
    week_start = (zone.c.local_date - 7).label("week_start")
    has_active_goal = (
        sa.select(goals.c.id)
        .where(goals.c.user_id == users.c.id, goals.c.status == GoalStatus.ACTIVE.value)
        .exists()
    )
    has_recap = (
        sa.select(weekly_recaps.c.id)
        .where(weekly_recaps.c.user_id == users.c.id, weekly_recaps.c.week_start == zone.c.local_date - 7)
        .exists()
    )
    return (
        sa.select(users.c.id, week_start)
        .join(zone, zone.c.timezone == users.c.timezone)
        .where(
            users.c.plan == sa.any_(sa.bindparam("plans", type_=ARRAY(sa.Text))),
            # Also as a plain condition (the join alone let the planner read every premium user):
            # (plan, timezone) is then the index range of each run.
            users.c.timezone == sa.any_(sa.bindparam("zones", type_=ARRAY(sa.Text))),
            users.c.id > sa.bindparam("after", type_=users.c.id.type),
            users.c.status == ACTIVE_STATUS,
            has_active_goal,
            ~has_recap,
        )
        .order_by(users.c.id)
        .limit(sa.bindparam("limit", type_=sa.Integer))
    )


_CANDIDATES: Final = _statement()


async def recap_candidates(
    connection: AsyncConnection,
    zone_days: Sequence[ZoneDay],
    plans: Sequence[str],
    *,
    after: UUID,
    limit: int,
) -> list[RecapTarget]:
    """The next `limit` users (by id, after `after`) due a recap, each with the Monday of their week."""
    if not zone_days or not plans:
        return []
    result = await connection.execute(
        _CANDIDATES, {**zone_day_parameters(zone_days), "plans": list(plans), "after": after, "limit": limit}
    )
    return [RecapTarget(row.id, row.week_start) for row in result]
