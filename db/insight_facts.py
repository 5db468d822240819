"""The facts behind a goal's insights, for a whole set of goals in one statement (docs/domain.md §3.14).

Per goal, over its answered rows (completed, skipped, rest_day) of the owner's last 90 local days:
completion over 30 and 7 days = completed ÷ answered × 100 (one decimal, 0 without answers); per
weekday with at least 2 answered rows, its rate, the best (highest rate, then lowest weekday index)
and the worst (lowest, then lowest index; none unless below the best); skip reasons (a missing reason
counts as other); and the last 30 answered rows, newest first. Windows end on the owner's local today:
"30 days" is today and the 29 days before. The streaks are the goal's own columns.

`goal_facts` serves the request (one goal, scoped to its owner) and the finishing actor; the weekly job
walks the users whose plan has pattern_detection (`premium_users_page`) and reads every active goal of
a chunk of them with `premium_goal_facts`.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal
from typing import Any, Final
from uuid import UUID

import sqlalchemy as sa
from sqlalchemy.dialects import postgresql
from sqlalchemy.ext.asyncio import AsyncConnection

from db.local_dates import local_date_at
from db.tables import check_ins, goals, plan_features, users
from domain.insights.rules import WEEKDAY_MIN_ANSWERED, AnsweredRow, InsightMetrics, WeekdayRate
from domain.plans import Feature
from domain.streaks import ANSWERED_STATUSES, CheckInStatus

__all__ = ["GoalFactsRow", "goal_facts", "premium_goal_facts", "premium_users_page"]

WINDOW_DAYS: Final = 90
RECENT_ROWS: Final = 30

_NOW = sa.bindparam("now", type_=sa.DateTime(timezone=True))
_ANSWERED = sa.bindparam(
    "answered", sorted(status.value for status in ANSWERED_STATUSES), type_=postgresql.ARRAY(sa.Text)
)
_COMPLETED = CheckInStatus.COMPLETED.value


@dataclass(frozen=True, slots=True)
class GoalFactsRow:
    goal_id: UUID
    user_id: UUID
    title: str
    frequency_type: str
    frequency_count: int
    reminder_times: list[str]
    answered_90d: int  # the data check counts these
    metrics: InsightMetrics
    weekday_rates: tuple[WeekdayRate, ...]
    skip_reasons: dict[str, int]  # most frequent first
    recent: tuple[AnsweredRow, ...]


def _with_pattern_detection(source: sa.Join) -> sa.Join:
    """Only users whose plan (users.plan, the cached effective plan) grants pattern_detection (§3.8)."""
    return source.join(
        plan_features,
        sa.and_(
            plan_features.c.plan_id == users.c.plan,
            plan_features.c.feature_key == Feature.PATTERN_DETECTION.value,
            plan_features.c.is_enabled,
            sa.func.coalesce(plan_features.c.feature_value, 1) != 0,
        ),
    )


def _rate(completed: sa.ColumnElement[Any], answered: sa.ColumnElement[Any]) -> sa.ColumnElement[Any]:
    percent = sa.cast(completed * 100, sa.Numeric) / sa.func.nullif(answered, 0)
    return sa.func.coalesce(sa.func.round(percent, 1), 0)


def _facts_statement(goal_filter: sa.ColumnElement[bool], *, premium_only: bool) -> sa.Select[Any]:
    today = local_date_at(users.c.timezone, _NOW)
    source = goals.join(users, users.c.id == goals.c.user_id)
    if premium_only:
        source = _with_pattern_detection(source)
    base = (
        sa.select(
            goals.c.id.label("goal_id"),
            goals.c.user_id,
            goals.c.title,
            goals.c.frequency_type,
            goals.c.frequency_count,
            goals.c.reminder_times,
            goals.c.current_streak,
            goals.c.longest_streak,
            today.label("today"),
        )
        .select_from(source)
        .where(goal_filter)
        .cte("base")
    )
    rows = (
        sa.select(
            check_ins.c.goal_id,
            check_ins.c.check_in_date,
            check_ins.c.status,
            check_ins.c.skip_reason,
            check_ins.c.mood,
            sa.func.left(check_ins.c.note, 100).label("note"),
            (check_ins.c.check_in_date > base.c.today - 30).label("in_30"),
            (check_ins.c.check_in_date > base.c.today - 7).label("in_7"),
            sa.func.row_number()
            .over(partition_by=check_ins.c.goal_id, order_by=check_ins.c.check_in_date.desc())
            .label("newest"),
        )
        .select_from(check_ins.join(base, base.c.goal_id == check_ins.c.goal_id))
        .where(
            check_ins.c.status == sa.any_(_ANSWERED),
            check_ins.c.check_in_date > base.c.today - WINDOW_DAYS,
            check_ins.c.check_in_date <= base.c.today,
        )
        .cte("rows")
    )
    done = rows.c.status == _COMPLETED
    count = sa.func.count()
    totals = (
        sa.select(
            rows.c.goal_id,
            count.label("answered_90d"),
            count.filter(rows.c.in_30).label("answered_30d"),
            count.filter(rows.c.in_30 & done).label("completed_30d"),
            _rate(count.filter(rows.c.in_30 & done), count.filter(rows.c.in_30)).label("rate_30d"),
            _rate(count.filter(rows.c.in_7 & done), count.filter(rows.c.in_7)).label("rate_7d"),
            sa.func.jsonb_agg(
                postgresql.aggregate_order_by(
                    sa.func.jsonb_build_array(
                        rows.c.check_in_date, rows.c.status, rows.c.skip_reason, rows.c.mood, rows.c.note
                    ),
                    rows.c.check_in_date.desc(),
                )
            )
            .filter(rows.c.newest <= RECENT_ROWS)
            .label("recent"),
        )
        .group_by(rows.c.goal_id)
        .cte("totals")
    )
    dow = sa.cast(sa.func.extract("dow", rows.c.check_in_date), sa.Integer)
    weekdays = (
        sa.select(
            rows.c.goal_id,
            dow.label("dow"),
            count.label("answered"),
            _rate(count.filter(done), count).label("rate"),
        )
        .group_by(rows.c.goal_id, dow)
        .having(count >= WEEKDAY_MIN_ANSWERED)
        .cte("weekdays")
    )
    best_first = postgresql.aggregate_order_by(weekdays.c.dow, weekdays.c.rate.desc(), weekdays.c.dow)
    worst_first = postgresql.aggregate_order_by(weekdays.c.dow, weekdays.c.rate.asc(), weekdays.c.dow)
    day_stats = (
        sa.select(
            weekdays.c.goal_id,
            sa.func.jsonb_agg(
                postgresql.aggregate_order_by(
                    sa.func.jsonb_build_array(weekdays.c.dow, weekdays.c.answered, weekdays.c.rate),
                    weekdays.c.dow,
                )
            ).label("days"),
            sa.func.array_agg(best_first)[1].label("best_day"),
            sa.func.max(weekdays.c.rate).label("best_rate"),
            sa.func.array_agg(worst_first)[1].label("worst_day"),
            sa.func.min(weekdays.c.rate).label("worst_rate"),
        )
        .group_by(weekdays.c.goal_id)
        .cte("day_stats")
    )
    reason = sa.func.coalesce(rows.c.skip_reason, "other")
    reason_counts = (
        sa.select(rows.c.goal_id, reason.label("reason"), count.label("n"))
        .where(rows.c.status == CheckInStatus.SKIPPED.value)
        .group_by(rows.c.goal_id, reason)
        .subquery("reason_counts")
    )
    skips = (
        sa.select(
            reason_counts.c.goal_id,
            sa.func.jsonb_agg(
                postgresql.aggregate_order_by(
                    sa.func.jsonb_build_array(reason_counts.c.reason, reason_counts.c.n),
                    reason_counts.c.n.desc(),
                    reason_counts.c.reason,
                )
            ).label("skips"),
        )
        .group_by(reason_counts.c.goal_id)
        .cte("skips")
    )
    worst_below_best = day_stats.c.worst_rate < day_stats.c.best_rate
    return (
        sa.select(
            base.c.goal_id,
            base.c.user_id,
            base.c.title,
            base.c.frequency_type,
            base.c.frequency_count,
            base.c.reminder_times,
            base.c.current_streak,
            base.c.longest_streak,
            sa.func.coalesce(totals.c.answered_90d, 0).label("answered_90d"),
            sa.func.coalesce(totals.c.answered_30d, 0).label("answered_30d"),
            sa.func.coalesce(totals.c.completed_30d, 0).label("completed_30d"),
            sa.func.coalesce(totals.c.rate_30d, 0).label("rate_30d"),
            sa.func.coalesce(totals.c.rate_7d, 0).label("rate_7d"),
            totals.c.recent,
            day_stats.c.days,
            day_stats.c.best_day,
            day_stats.c.best_rate,
            sa.case((worst_below_best, day_stats.c.worst_day)).label("worst_day"),
            sa.case((worst_below_best, day_stats.c.worst_rate)).label("worst_rate"),
            skips.c.skips,
        )
        .select_from(
            base.outerjoin(totals, totals.c.goal_id == base.c.goal_id)
            .outerjoin(day_stats, day_stats.c.goal_id == base.c.goal_id)
            .outerjoin(skips, skips.c.goal_id == base.c.goal_id)
        )
        .order_by(base.c.goal_id)
    )


_GOAL_IDS = sa.bindparam("goal_ids", type_=postgresql.ARRAY(goals.c.id.type))
_OWNER = sa.bindparam("user_id", type_=goals.c.user_id.type)
_USER_IDS = sa.bindparam("user_ids", type_=postgresql.ARRAY(goals.c.user_id.type))
_BY_GOALS: Final = _facts_statement(goals.c.id == sa.any_(_GOAL_IDS), premium_only=False)
_BY_OWNED_GOALS: Final = _facts_statement(
    sa.and_(goals.c.id == sa.any_(_GOAL_IDS), goals.c.user_id == _OWNER), premium_only=False
)
_BY_PREMIUM_USERS: Final = _facts_statement(
    sa.and_(goals.c.user_id == sa.any_(_USER_IDS), goals.c.status == "active"), premium_only=True
)


async def premium_users_page(connection: AsyncConnection, *, after: UUID | None, limit: int) -> list[UUID]:
    """Active, onboarded users whose plan grants pattern_detection and who have an active goal, by id
    after `after` (the weekly job's keyset walk)."""
    source = _with_pattern_detection(
        users.join(goals, sa.and_(goals.c.user_id == users.c.id, goals.c.status == "active"))
    )
    statement = (
        sa.select(users.c.id)
        .distinct()
        .select_from(source)
        .where(users.c.status == "active", users.c.onboarding_completed_at.is_not(None))
        .order_by(users.c.id)
        .limit(limit)
    )
    if after is not None:
        statement = statement.where(users.c.id > after)
    return list((await connection.execute(statement)).scalars())


async def goal_facts(
    connection: AsyncConnection, goal_ids: Sequence[UUID], *, now: datetime, user_id: UUID | None
) -> list[GoalFactsRow]:
    """The facts of `goal_ids`; with `user_id`, only those that user owns (a request)."""
    if user_id is None:
        result = await connection.execute(_BY_GOALS, {"goal_ids": list(goal_ids), "now": now})
    else:
        parameters = {"goal_ids": list(goal_ids), "user_id": user_id, "now": now}
        result = await connection.execute(_BY_OWNED_GOALS, parameters)
    return [_facts_row(row, now) for row in result]


async def premium_goal_facts(
    connection: AsyncConnection, user_ids: Sequence[UUID], *, now: datetime
) -> list[GoalFactsRow]:
    """The facts of every active goal of those `user_ids` whose plan grants pattern_detection."""
    result = await connection.execute(_BY_PREMIUM_USERS, {"user_ids": list(user_ids), "now": now})
    return [_facts_row(row, now) for row in result]


def _number(value: Decimal | int | None) -> float | None:
    return None if value is None else float(value)


def _facts_row(row: sa.Row[Any], now: datetime) -> GoalFactsRow:
    metrics = InsightMetrics(
        completion_rate_30d=float(row.rate_30d),
        completion_rate_7d=float(row.rate_7d),
        current_streak=row.current_streak,
        longest_streak=row.longest_streak,
        total_checkins_30d=row.answered_30d,
        completed_checkins_30d=row.completed_30d,
        best_day_index=row.best_day,
        best_day_rate=_number(row.best_rate),
        worst_day_index=row.worst_day,
        worst_day_rate=_number(row.worst_rate),
        calculated_at=now,
    )
    return GoalFactsRow(
        goal_id=row.goal_id,
        user_id=row.user_id,
        title=row.title,
        frequency_type=row.frequency_type,
        frequency_count=row.frequency_count,
        reminder_times=list(row.reminder_times),
        answered_90d=row.answered_90d,
        metrics=metrics,
        weekday_rates=tuple(
            WeekdayRate(day, answered, float(rate)) for day, answered, rate in row.days or ()
        ),
        skip_reasons=dict(row.skips or ()),
        recent=tuple(
            AnsweredRow(date.fromisoformat(day), status, skip_reason, mood, note)
            for day, status, skip_reason, mood, note in row.recent or ()
        ),
    )
