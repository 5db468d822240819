"""The analytics dashboard of one goal in one statement (docs/client-behaviour.md §6.3).

The statement reads the goal (scoped to its owner) and, from its check-ins, every aggregate the
dashboard needs, each as a small JSON array: the rows of the window (at most 181, for the heatmap and
this week), the settled and done counts, the counts per weekday, per month and per skip reason, the
moods, and per Monday week the longest run of consecutive done days (gaps and islands, cut at week
boundaries). domain/analytics.py fills the gaps and labels the result.

The window starts at the later of the goal's creation (as the owner's local date) and `days` before
the owner's local today, which the caller passes in, so the answer and its cache key agree on the day.
The window's rows and the streak weeks' are each one range of the (user_id, goal_id, check_in_date)
unique index (BENCHMARKS.md, "Query plans at scale").
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date
from typing import Any, Final
from uuid import UUID

import sqlalchemy as sa
from sqlalchemy.dialects import postgresql
from sqlalchemy.ext.asyncio import AsyncConnection

from db.local_dates import local_date_at
from db.tables import check_ins, goals, users
from domain.analytics import DONE_STATUSES, DashboardFacts, Tally
from domain.streaks import CheckInStatus

__all__ = ["dashboard_facts"]

_USER_ID = sa.bindparam("user_id", type_=goals.c.user_id.type)
_GOAL_ID = sa.bindparam("goal_id", type_=goals.c.id.type)
_TODAY = sa.bindparam("today", type_=sa.Date)
_DAYS = sa.bindparam("days", type_=sa.Integer)
_STREAK_SINCE = sa.bindparam("streak_since", type_=sa.Date)  # the Monday of the oldest week shown
_DONE = sa.bindparam(
    "done_statuses",
    sorted(status.value for status in DONE_STATUSES),
    type_=postgresql.ARRAY(check_ins.c.status.type),
)

_created_on = local_date_at(users.c.timezone, goals.c.created_at)
_goal = (
    sa.select(
        goals.c.id,
        goals.c.title,
        goals.c.target_days,
        goals.c.current_streak,
        goals.c.longest_streak,
        _created_on.label("created_on"),
        sa.func.greatest(_created_on, _TODAY - _DAYS).label("window_start"),
    )
    .select_from(goals.join(users, users.c.id == goals.c.user_id))
    .where(goals.c.id == _GOAL_ID, goals.c.user_id == _USER_ID)
    .cte("goal")
)

_day = check_ins.c.check_in_date
_of_goal = (check_ins.c.user_id == _USER_ID, check_ins.c.goal_id == _GOAL_ID)
# The window's start as a scalar subquery, not a join, so both ends bound the index range: joined, the
# start was a filter over every row up to today (a year of history read for a 180-day window).
_rows = (
    sa.select(_day.label("day"), check_ins.c.status, check_ins.c.mood, check_ins.c.skip_reason)
    .where(*_of_goal, _day >= sa.select(_goal.c.window_start).scalar_subquery(), _day <= _TODAY)
    .cte("window_rows")
)
_settled = _rows.c.status != CheckInStatus.PENDING.value
_total = sa.func.count().filter(_settled)
_completed = sa.func.count().filter(_rows.c.status == sa.any_(_DONE))


def _json_rows(*items: sa.ColumnElement[Any], order_by: sa.ColumnElement[Any] | None = None) -> Any:
    """json_agg of [item, …] arrays, '[]' when there is no row."""
    element: Any = sa.func.json_build_array(*items)
    if order_by is not None:
        element = postgresql.aggregate_order_by(element, order_by)
    return sa.type_coerce(sa.func.coalesce(sa.func.json_agg(element), sa.text("'[]'::json")), postgresql.JSON)


def _grouped(key: sa.ColumnElement[Any]) -> sa.ScalarSelect[Any]:
    """[key, settled, done] per group of the window's settled rows."""
    groups = sa.select(key.label("key"), _total.label("total"), _completed.label("done")).where(_settled)
    grouped = groups.group_by(key).subquery()
    return sa.select(_json_rows(grouped.c.key, grouped.c.total, grouped.c.done)).scalar_subquery()


def _skips() -> sa.ScalarSelect[Any]:
    reason = sa.func.coalesce(_rows.c.skip_reason, "other")
    counted = (
        sa.select(reason.label("reason"), sa.func.count().label("count"))
        .where(_rows.c.status == CheckInStatus.SKIPPED.value)
        .group_by(reason)
        .subquery()
    )
    return sa.select(_json_rows(counted.c.reason, counted.c["count"])).scalar_subquery()


def _week_streaks() -> sa.ScalarSelect[Any]:
    """[monday, longest run] per week: consecutive done days share date − rank within their week."""
    week = sa.cast(sa.func.date_trunc("week", _day), sa.Date)
    done_days = (
        sa.select(
            _day.label("day"),
            week.label("week"),
            sa.func.row_number().over(partition_by=week, order_by=_day).label("rank"),
        )
        .where(*_of_goal, check_ins.c.status == sa.any_(_DONE), _day >= _STREAK_SINCE, _day <= _TODAY)
        .subquery()
    )
    island = done_days.c.day - sa.cast(done_days.c.rank, sa.Integer)
    runs = (
        sa.select(done_days.c.week, sa.func.count().label("length"))
        .group_by(done_days.c.week, island)
        .subquery()
    )
    longest = (
        sa.select(runs.c.week, sa.func.max(runs.c.length).label("longest")).group_by(runs.c.week).subquery()
    )
    return sa.select(_json_rows(longest.c.week, longest.c.longest)).scalar_subquery()


_DASHBOARD: Final = sa.select(
    _goal,
    sa.select(_json_rows(_rows.c.day, _rows.c.status)).scalar_subquery().label("statuses"),
    sa.select(sa.type_coerce(sa.func.json_build_array(_total, _completed), postgresql.JSON))
    .scalar_subquery()
    .label("settled"),
    _grouped(sa.cast(sa.extract("dow", _rows.c.day), sa.Integer)).label("by_weekday"),
    _grouped(sa.cast(sa.func.date_trunc("month", _rows.c.day), sa.Date)).label("by_month"),
    _skips().label("skips"),
    sa.select(_json_rows(_rows.c.day, _rows.c.mood, order_by=_rows.c.day))
    .where(_settled, _rows.c.mood.is_not(None))
    .scalar_subquery()
    .label("moods"),
    _week_streaks().label("week_streaks"),
).select_from(_goal)


def _tallies(rows: Sequence[list[Any]]) -> list[tuple[Any, Tally]]:
    return [(key, Tally(total=total, completed=done)) for key, total, done in rows]


async def dashboard_facts(
    connection: AsyncConnection, *, user_id: UUID, goal_id: UUID, today: date, days: int, streak_since: date
) -> DashboardFacts | None:
    """The aggregates of the caller's goal over the `days` before `today` (the owner's local date), with
    week streaks from `streak_since` (a Monday); None when the goal is not the caller's."""
    parameters = {
        "user_id": user_id,
        "goal_id": goal_id,
        "today": today,
        "days": days,
        "streak_since": streak_since,
    }
    row = (await connection.execute(_DASHBOARD, parameters)).first()
    if row is None:
        return None
    total, completed = row.settled
    return DashboardFacts(
        goal_id=row.id,
        goal_title=row.title,
        target_days=row.target_days,
        current_streak=row.current_streak,
        longest_streak=row.longest_streak,
        created_on=row.created_on,
        window_start=row.window_start,
        statuses={date.fromisoformat(day): status for day, status in row.statuses},
        settled=Tally(total=total, completed=completed),
        by_weekday=dict(_tallies(row.by_weekday)),
        by_month={date.fromisoformat(month): tally for month, tally in _tallies(row.by_month)},
        skips=dict(row.skips),
        moods=[(date.fromisoformat(day), mood) for day, mood in row.moods],
        week_streaks={date.fromisoformat(monday): longest for monday, longest in row.week_streaks},
    )
