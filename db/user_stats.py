"""A user's totals over goals and check-ins (GET /users/me/stats and /users/{id}/stats), in one
statement: the goal counts and streak maxima come from the user's goal rows, the check-in total from
the (user_id, status, check_in_date) index, never from a walk over the history."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Final
from uuid import UUID

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncConnection

from db.tables import check_ins, goals, users
from db.users import ACTIVE_STATUS
from domain.goal_rules import GoalStatus
from domain.streaks import ANSWERED_STATUSES


@dataclass(frozen=True, slots=True)
class UserTotals:
    total_goals: int
    active_goals: int
    total_check_ins: int
    current_streak: int
    longest_streak: int


def _build_statement() -> sa.Select[tuple[int, int, int, int, int]]:
    user_id = sa.bindparam("user_id", type_=users.c.id.type)
    active = goals.c.status == GoalStatus.ACTIVE.value
    goal_totals = (
        sa.select(
            sa.func.count().label("total_goals"),
            sa.func.count().filter(active).label("active_goals"),
            # The user streak and the longest streak are taken over active goals only (§3.3).
            sa.func.coalesce(sa.func.max(goals.c.current_streak).filter(active), 0).label("current_streak"),
            sa.func.coalesce(sa.func.max(goals.c.longest_streak).filter(active), 0).label("longest_streak"),
        )
        .where(goals.c.user_id == users.c.id)
        .lateral("goal_totals")
    )
    answered = (
        sa.select(sa.func.count())
        .where(
            check_ins.c.user_id == users.c.id,
            check_ins.c.status.in_(sorted(status.value for status in ANSWERED_STATUSES)),
        )
        .scalar_subquery()
    )
    return (
        sa.select(
            goal_totals.c.total_goals,
            goal_totals.c.active_goals,
            answered.label("total_check_ins"),
            goal_totals.c.current_streak,
            goal_totals.c.longest_streak,
        )
        .select_from(users.join(goal_totals, sa.true()))
        # A disabled or suspended account is not shown to anyone (its owner cannot sign in either).
        .where(users.c.id == user_id, users.c.status == ACTIVE_STATUS)
    )


_USER_TOTALS: Final = _build_statement()


async def user_totals(connection: AsyncConnection, user_id: UUID) -> UserTotals | None:
    """The user's totals; None when no active account has this id."""
    row = (await connection.execute(_USER_TOTALS, {"user_id": user_id})).one_or_none()
    return None if row is None else UserTotals(**row._mapping)
