"""Goals (§2.2, §3.1): reads with the owner's local today, writes, counts for the plan cap, stats.

"Today" is the goal owner's local date at the request's `now`, computed in the statement from
users.timezone, so a goal shown to someone else (the partner read that comes with the social feature)
still reports its owner's day. Every function is scoped by the caller's user id.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from functools import cache
from typing import Any, Final
from uuid import UUID

import sqlalchemy as sa
from sqlalchemy.dialects import postgresql
from sqlalchemy.ext.asyncio import AsyncConnection

from db.tables import accountability_partners, check_ins, goals, notification_history, users
from domain.goal_rules import GoalSchedule
from domain.streaks import ANSWERED_STATUSES, CheckInStatus

__all__ = [
    "GoalCheckinCounts",
    "GoalCounts",
    "GoalRow",
    "GoalWithPendingToday",
    "GoalsSummary",
    "active_goals_with_pending_today",
    "count_goals_for_update",
    "delete_goal",
    "goal_checkin_counts",
    "goals_summary",
    "insert_goal",
    "list_goals",
    "owned_goal",
    "schedule_columns",
    "update_goal",
    "visible_goal",
]


@dataclass(frozen=True, slots=True)
class GoalRow:
    id: UUID
    user_id: UUID
    title: str
    frequency_type: str
    frequency_count: int
    target_days: list[int] | None
    reminder_times: list[str]
    why_statement: str | None
    status: str
    current_streak: int
    longest_streak: int
    total_completions: int
    last_completed_date: date | None
    week_completions: int
    week_start_date: date | None
    created_at: datetime
    updated_at: datetime
    owner_today: date  # the owner's local date at the request's instant
    today_status: str | None  # status of the owner's answered row of that date; None if pending or absent


_GOAL_COLUMNS = tuple(goals.c[name] for name in GoalRow.__dataclass_fields__ if name in goals.c)


# The reads below are built once, at import, with named bind parameters: a statement object
# memoizes its cache key, so SQLAlchemy reuses its compiled form without rebuilding and re-hashing
# the whole join on every call (that was about a tenth of the home dashboard's CPU, py-spy).
_NOW = sa.bindparam("now", type_=sa.DateTime(timezone=True))
_USER_ID = sa.bindparam("user_id", type_=goals.c.user_id.type)
_GOAL_ID = sa.bindparam("goal_id", type_=goals.c.id.type)
_OWNER_TODAY = sa.cast(sa.func.timezone(users.c.timezone, _NOW), sa.Date)
# A bound array instead of IN (...): an expanding IN list is re-rendered on every execution.
_ANSWERED = sa.bindparam(
    "answered_statuses",
    sorted(status.value for status in ANSWERED_STATUSES),
    type_=postgresql.ARRAY(check_ins.c.status.type),
)


def _goal_select(*, with_today_status: bool) -> sa.Select[Any]:
    source = goals.join(users, users.c.id == goals.c.user_id)
    today_status: sa.ColumnElement[Any] = sa.null()
    if with_today_status:
        # The owner's row of today whatever its status (one at most), found by (goal_id, date) in
        # ix_check_ins_goal_date; the status test lives in the select list, so a goal's history is
        # never walked row by row (home with a year of check-ins per goal: 6.0 ms as two joins, 0.2 ms).
        source = source.outerjoin(
            check_ins, sa.and_(check_ins.c.goal_id == goals.c.id, check_ins.c.check_in_date == _OWNER_TODAY)
        )
        today_status = sa.case((check_ins.c.status == sa.any_(_ANSWERED), check_ins.c.status))
    return sa.select(
        *_GOAL_COLUMNS, _OWNER_TODAY.label("owner_today"), today_status.label("today_status")
    ).select_from(source)


_GOAL_OF_USER = _goal_select(with_today_status=True).where(
    goals.c.id == _GOAL_ID, goals.c.user_id == _USER_ID
)
_GOAL_OF_USER_LOCKED = _GOAL_OF_USER.with_for_update(of=goals)
# The owner, or an accepted partner of the owner (§3.4: partners read each other's goals).
_partners = accountability_partners
_GOAL_VISIBLE = _goal_select(with_today_status=True).where(
    goals.c.id == _GOAL_ID,
    sa.or_(
        goals.c.user_id == _USER_ID,
        sa.exists().where(
            _partners.c.status == "accepted",
            sa.or_(
                sa.and_(_partners.c.user_id == _USER_ID, _partners.c.partner_user_id == goals.c.user_id),
                sa.and_(_partners.c.partner_user_id == _USER_ID, _partners.c.user_id == goals.c.user_id),
            ),
        ),
    ),
)


@cache
def _goal_list(*, with_today_status: bool, active_only: bool, keyset: bool) -> sa.Select[Any]:
    """One statement per shape of list_goals (eight at most); the values are bound at execution."""
    statement = _goal_select(with_today_status=with_today_status).where(goals.c.user_id == _USER_ID)
    if active_only:
        statement = statement.where(goals.c.status == "active")
    if keyset:
        after = sa.tuple_(
            sa.bindparam("after_created_at", type_=goals.c.created_at.type),
            sa.bindparam("after_id", type_=goals.c.id.type),
        )
        statement = statement.where(sa.tuple_(goals.c.created_at, goals.c.id) < after)
    return (
        statement.order_by(goals.c.created_at.desc(), goals.c.id.desc())
        .limit(sa.bindparam("limit", type_=sa.Integer))
        .offset(sa.bindparam("offset", type_=sa.Integer))
    )


# The home dashboard in one statement: the active goals, each with its still-pending row of the
# owner's local today (the row the list already joins for today's status).
_ACTIVE_GOALS_WITH_PENDING_TODAY: Final = _goal_list(
    with_today_status=True, active_only=True, keyset=False
).add_columns(
    sa.case((check_ins.c.status == CheckInStatus.PENDING.value, check_ins.c.id)).label("pending_checkin_id")
)


@dataclass(frozen=True, slots=True)
class GoalWithPendingToday:
    goal: GoalRow
    pending_checkin_id: UUID | None  # the goal's unanswered row of the owner's local today


async def active_goals_with_pending_today(
    connection: AsyncConnection, user_id: UUID, *, now: datetime, limit: int
) -> list[GoalWithPendingToday]:
    """The caller's active goals, newest first (as list_goals), each with today's pending row id."""
    rows = await connection.execute(
        _ACTIVE_GOALS_WITH_PENDING_TODAY, {"user_id": user_id, "now": now, "limit": limit, "offset": 0}
    )
    return [
        GoalWithPendingToday(
            goal=GoalRow(
                **{key: value for key, value in row._mapping.items() if key != "pending_checkin_id"}
            ),
            pending_checkin_id=row.pending_checkin_id,
        )
        for row in rows
    ]


def _goal_row(row: sa.Row[Any]) -> GoalRow:
    return GoalRow(**row._mapping)


async def visible_goal(
    connection: AsyncConnection, viewer_id: UUID, goal_id: UUID, *, now: datetime
) -> GoalRow | None:
    """The goal when `viewer_id` may read it (GET /goals/{id}): its owner, or an accepted partner of
    the owner (read-only: every write goes through `owned_goal`)."""
    return await _one_goal(connection, _GOAL_VISIBLE, user_id=viewer_id, goal_id=goal_id, now=now)


async def owned_goal(
    connection: AsyncConnection, user_id: UUID, goal_id: UUID, *, now: datetime, lock: bool = False
) -> GoalRow | None:
    """The caller's own goal; with `lock`, its row stays locked until the transaction ends (writes)."""
    statement = _GOAL_OF_USER_LOCKED if lock else _GOAL_OF_USER
    return await _one_goal(connection, statement, user_id=user_id, goal_id=goal_id, now=now)


async def _one_goal(
    connection: AsyncConnection, statement: sa.Select[Any], *, user_id: UUID, goal_id: UUID, now: datetime
) -> GoalRow | None:
    parameters = {"user_id": user_id, "goal_id": goal_id, "now": now}
    row = (await connection.execute(statement, parameters)).first()
    return None if row is None else _goal_row(row)


async def list_goals(
    connection: AsyncConnection,
    user_id: UUID,
    *,
    now: datetime,
    active_only: bool,
    with_today_status: bool,
    limit: int,
    after: tuple[datetime, UUID] | None = None,
    offset: int = 0,
) -> list[GoalRow]:
    """The caller's goals, newest first, keyset-paged after (created_at, id) (or skipping `offset`)."""
    statement = _goal_list(
        with_today_status=with_today_status, active_only=active_only, keyset=after is not None
    )
    parameters: dict[str, Any] = {"user_id": user_id, "now": now, "limit": limit, "offset": offset}
    if after is not None:
        parameters["after_created_at"], parameters["after_id"] = after
    return [_goal_row(row) for row in await connection.execute(statement, parameters)]


@dataclass(frozen=True, slots=True)
class GoalCounts:
    active: int
    paused: int

    @property
    def non_archived(self) -> int:
        return self.active + self.paused


async def count_goals_for_update(connection: AsyncConnection, user_id: UUID) -> GoalCounts:
    """The caller's active and paused goals, counted under a per-user lock held until the transaction
    ends, so two concurrent creates or activations cannot both pass the plan's cap."""
    await connection.execute(
        sa.select(
            sa.func.pg_advisory_xact_lock(sa.func.hashtext("goals.cap"), sa.func.hashtext(str(user_id)))
        )
    )
    result = await connection.execute(
        sa.select(
            sa.func.count().filter(goals.c.status == "active").label("active"),
            sa.func.count().filter(goals.c.status == "paused").label("paused"),
        ).where(goals.c.user_id == user_id)
    )
    row = result.one()
    return GoalCounts(active=row.active, paused=row.paused)


def schedule_columns(schedule: GoalSchedule) -> dict[str, Any]:
    """The goals columns that store a schedule."""
    return {
        "frequency_type": schedule.frequency_type.value,
        "frequency_count": schedule.frequency_count,
        "target_days": None if schedule.target_days is None else list(schedule.target_days),
    }


async def insert_goal(
    connection: AsyncConnection,
    user_id: UUID,
    *,
    title: str,
    schedule: GoalSchedule,
    reminder_times: Sequence[str],
    why_statement: str | None,
) -> UUID:
    result = await connection.execute(
        sa.insert(goals)
        .values(
            user_id=user_id,
            title=title,
            **schedule_columns(schedule),
            reminder_times=list(reminder_times),
            why_statement=why_statement,
        )
        .returning(goals.c.id)
    )
    goal_id: UUID = result.scalar_one()
    return goal_id


async def update_goal(
    connection: AsyncConnection, user_id: UUID, goal_id: UUID, changes: Mapping[str, Any]
) -> None:
    """Write these columns of the caller's goal (and refresh updated_at)."""
    await connection.execute(
        sa.update(goals)
        .where(goals.c.id == goal_id, goals.c.user_id == user_id)
        .values(**changes, updated_at=sa.func.now())
    )


async def delete_goal(connection: AsyncConnection, user_id: UUID, goal_id: UUID) -> bool:
    """Hard-delete the caller's goal and, in the same statement, the inbox rows whose entity is the goal
    or one of its check-ins (check-ins, slots and nudges follow by cascade). False if not the caller's."""
    owned = sa.select(goals.c.id).where(goals.c.id == goal_id, goals.c.user_id == user_id).cte("owned")
    its_checkins = sa.select(check_ins.c.id).where(check_ins.c.goal_id.in_(sa.select(owned.c.id)))
    inbox_deleted = (
        sa.delete(notification_history)
        .where(
            sa.or_(
                sa.and_(
                    notification_history.c.entity_type == "goal",
                    notification_history.c.entity_id.in_(sa.select(owned.c.id)),
                ),
                sa.and_(
                    notification_history.c.entity_type == "checkin",
                    notification_history.c.entity_id.in_(its_checkins),
                ),
            )
        )
        .cte("inbox_deleted")
    )
    result = await connection.execute(
        sa.delete(goals)
        .where(goals.c.id.in_(sa.select(owned.c.id)))
        .returning(goals.c.id)
        .add_cte(inbox_deleted)
    )
    return result.first() is not None


@dataclass(frozen=True, slots=True)
class GoalCheckinCounts:
    answered_or_missed: int  # every non-pending row
    completed: int
    last_7_days: int  # non-pending rows dated within the 7 local days ending today
    last_30_days: int


async def goal_checkin_counts(
    connection: AsyncConnection, user_id: UUID, goal_id: UUID, *, today: date
) -> GoalCheckinCounts:
    settled = check_ins.c.status != CheckInStatus.PENDING.value
    result = await connection.execute(
        sa.select(
            sa.func.count().filter(settled).label("answered_or_missed"),
            sa.func.count().filter(check_ins.c.status == CheckInStatus.COMPLETED.value).label("completed"),
            sa.func.count()
            .filter(settled, check_ins.c.check_in_date > today - timedelta(days=7))
            .label("last_7_days"),
            sa.func.count()
            .filter(settled, check_ins.c.check_in_date > today - timedelta(days=30))
            .label("last_30_days"),
        ).where(
            check_ins.c.goal_id == goal_id, check_ins.c.user_id == user_id, check_ins.c.check_in_date <= today
        )
    )
    return GoalCheckinCounts(**result.one()._mapping)


@dataclass(frozen=True, slots=True)
class GoalsSummary:
    total_goals: int
    active_goals: int
    paused_goals: int
    archived_goals: int
    total_completions: int
    current_streak: int  # the user streak: highest current streak among active goals
    longest_streak: int  # highest longest streak among the same goals
    current_best_streak: int  # highest current streak over every goal, archived included
    best_streak_ever: int  # highest longest streak over every goal
    settled_checkins: int  # the user's non-pending rows
    completed_checkins: int


async def goals_summary(connection: AsyncConnection, user_id: UUID) -> GoalsSummary:
    active = goals.c.status == "active"
    mine = check_ins.c.user_id == user_id
    settled = sa.select(sa.func.count()).where(mine, check_ins.c.status != CheckInStatus.PENDING.value)
    completed = sa.select(sa.func.count()).where(mine, check_ins.c.status == CheckInStatus.COMPLETED.value)
    result = await connection.execute(
        sa.select(
            sa.func.count().label("total_goals"),
            sa.func.count().filter(active).label("active_goals"),
            sa.func.count().filter(goals.c.status == "paused").label("paused_goals"),
            sa.func.count().filter(goals.c.status == "archived").label("archived_goals"),
            sa.func.coalesce(sa.func.sum(goals.c.total_completions), 0).label("total_completions"),
            sa.func.coalesce(sa.func.max(goals.c.current_streak).filter(active), 0).label("current_streak"),
            sa.func.coalesce(sa.func.max(goals.c.longest_streak).filter(active), 0).label("longest_streak"),
            sa.func.coalesce(sa.func.max(goals.c.current_streak), 0).label("current_best_streak"),
            sa.func.coalesce(sa.func.max(goals.c.longest_streak), 0).label("best_streak_ever"),
            settled.scalar_subquery().label("settled_checkins"),
            completed.scalar_subquery().label("completed_checkins"),
        ).where(goals.c.user_id == user_id)
    )
    return GoalsSummary(**result.one()._mapping)
