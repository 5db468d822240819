"""Pending and missed check-in rows (§3.2, §3.11, §4 precreate_daily_checkins / mark_missed_checkins).

A pending row is created for every active goal scheduled on the owner's local date: by the daily job
when the owner's day starts, and by the API when a goal is created or reactivated. Its due instants
are computed here, in SQL, from the local date, the goal's last reminder time and the owner's zone:

* prompt_due_at = last reminder + 30 min, follow-up = last reminder + 2 h 30 min, each only while
  that instant falls before the local midnight ending the day (else NULL: no notice that day);
* `(date + time) AT TIME ZONE zone` is PostgreSQL's reading of a wall time, which for the two
  DST-transition hours differs from domain.local_time (a wall time in the spring-forward gap is read
  with the offset before it, an ambiguous one as its second occurrence). Only a last reminder inside
  those hours is affected, and its notices then come later, never earlier, than the Python reading.

Every statement is set-based: inserts are `INSERT … SELECT … ON CONFLICT DO NOTHING` on
UNIQUE (user_id, goal_id, check_in_date), so creating twice changes nothing; the missed transition and
the streak reset it implies are one statement.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Any
from uuid import UUID

import sqlalchemy as sa
from sqlalchemy.dialects.postgresql import Insert, insert
from sqlalchemy.ext.asyncio import AsyncConnection

from db.partial_index_predicates import is_pending
from db.sql_arrays import uuid_array
from db.tables import check_ins, goals, job_markers, users
from domain.local_time import weekday_sun0
from domain.schedule import CHECKIN_FOLLOWUP_DELAY, CHECKIN_PROMPT_DELAY
from domain.streaks import CheckInStatus

__all__ = [
    "BATCH_SIZE",
    "GoalKey",
    "ZoneBatch",
    "create_pending_checkins",
    "create_zone_pending_checkins",
    "day_end_in_owner_zone",
    "delete_pending_checkins",
    "mark_missed_checkins",
    "mark_zones",
    "marked_zones",
    "onboarded_timezones",
    "realign_user_pending_checkins",
]

# §4: at most 1000 goals (or rows) per statement, so locks and WAL per statement stay bounded.
BATCH_SIZE = 1000

GoalKey = tuple[UUID, UUID]
"""(user_id, goal_id): the keyset position of the day-start job."""


def _scheduled_on(local_date: date) -> sa.ColumnElement[bool]:
    """Daily goals always; weekly ones when the date's weekday (0 = Sunday) is a target day."""
    weekday = sa.literal(weekday_sun0(local_date), sa.SmallInteger)
    return sa.or_(goals.c.frequency_type == "daily", weekday == sa.any_(goals.c.target_days))


def local_day_end(zone: sa.ColumnElement[Any], day: sa.ColumnElement[Any]) -> sa.ColumnElement[Any]:
    """The UTC instant `day` ends in `zone` (the next local midnight), in SQL: a pending row's
    missed_due_at and the bound of its prompt and follow-up."""
    return sa.func.timezone(zone, sa.cast(day + 1, sa.DateTime))


def _insert_pending(candidates: sa.FromClause, local_date: date) -> Insert:
    """INSERT the pending rows of `local_date` for the goals of `candidates` (columns id, user_id,
    reminder_times, timezone), skipping goals that already have that day's row."""
    zone = candidates.c.timezone
    # reminder_times is stored sorted, so its last entry is the day's last reminder.
    last_time = sa.cast(
        candidates.c.reminder_times[sa.func.cardinality(candidates.c.reminder_times)], sa.Time
    )
    last_reminder_at = sa.func.timezone(zone, sa.literal(local_date, sa.Date) + last_time)
    day_ends_at = local_day_end(zone, sa.literal(local_date, sa.Date))

    def before_day_ends(delay: timedelta) -> sa.ColumnElement[Any]:
        due_at = last_reminder_at + sa.literal(delay, sa.Interval)
        return sa.case((due_at < day_ends_at, due_at), else_=sa.null())

    rows = sa.select(
        candidates.c.user_id,
        candidates.c.id,
        sa.literal(local_date, sa.Date),
        sa.literal(CheckInStatus.PENDING.value, sa.Text),
        before_day_ends(CHECKIN_PROMPT_DELAY),
        before_day_ends(CHECKIN_FOLLOWUP_DELAY),
        day_ends_at,
    )
    columns = ["user_id", "goal_id", "check_in_date", "status", "prompt_due_at", "followup_due_at"]
    return (
        insert(check_ins)
        .from_select([*columns, "missed_due_at"], rows)
        .on_conflict_do_nothing(index_elements=["user_id", "goal_id", "check_in_date"])
    )


# What _insert_pending reads of each candidate goal, and where it comes from.
_CANDIDATE_COLUMNS = (goals.c.id, goals.c.user_id, goals.c.reminder_times, users.c.timezone)
_GOALS_WITH_OWNERS = goals.join(users, users.c.id == goals.c.user_id)


async def create_pending_checkins(
    connection: AsyncConnection, *, goal_ids: Sequence[UUID], local_date: date
) -> int:
    """Pending rows of `local_date` for those of these goals that are active and scheduled that day
    (goal create / activate / schedule change); returns how many rows were new."""
    candidates = (
        sa.select(*_CANDIDATE_COLUMNS)
        .select_from(_GOALS_WITH_OWNERS)
        .where(
            goals.c.id == sa.any_(uuid_array("goal_ids", goal_ids)),
            goals.c.status == "active",
            _scheduled_on(local_date),
        )
        .subquery("candidates")
    )
    result = await connection.execute(_insert_pending(candidates, local_date))
    return int(result.rowcount)


async def delete_pending_checkins(
    connection: AsyncConnection, *, goal_ids: Sequence[UUID], local_date: date
) -> int:
    """Delete these goals' still-pending rows of `local_date` (answered rows stay); returns the count."""
    result = await connection.execute(
        sa.delete(check_ins).where(
            check_ins.c.goal_id == sa.any_(uuid_array("goal_ids", goal_ids)),
            check_ins.c.check_in_date == local_date,
            is_pending(check_ins.c.status),
        )
    )
    return int(result.rowcount)


async def realign_user_pending_checkins(
    connection: AsyncConnection, user_id: UUID, *, local_date: date
) -> int:
    """After a timezone change: today's pending rows are rebuilt for the new local date (fresh due
    instants), and pending rows dated after it (the old zone was ahead) go. Earlier pending rows stay
    for the missed job, as any unanswered past day does, due at the end of their day in the new zone.
    Returns the rows created."""
    await connection.execute(
        sa.delete(check_ins).where(
            check_ins.c.user_id == user_id,
            check_ins.c.check_in_date >= local_date,
            is_pending(check_ins.c.status),
        )
    )
    # The earlier pending rows turn missed at the end of their day in the new zone.
    await connection.execute(
        sa.update(check_ins)
        .where(check_ins.c.user_id == user_id, is_pending(check_ins.c.status))
        .values(missed_due_at=day_end_in_owner_zone(check_ins.c.user_id, check_ins.c.check_in_date))
    )
    active_goal_ids = (
        (
            await connection.execute(
                sa.select(goals.c.id).where(goals.c.user_id == user_id, goals.c.status == "active")
            )
        )
        .scalars()
        .all()
    )
    if not active_goal_ids:
        return 0
    return await create_pending_checkins(connection, goal_ids=active_goal_ids, local_date=local_date)


@dataclass(frozen=True, slots=True)
class ZoneBatch:
    goals: int  # scheduled goals the statement looked at (< the limit: the zones are done)
    created: int  # rows actually inserted
    last_key: GoalKey | None  # where the next batch starts; None when there were no goals


async def create_zone_pending_checkins(
    connection: AsyncConnection,
    *,
    timezones: Sequence[str],
    local_date: date,
    after: GoalKey | None,
    limit: int = BATCH_SIZE,
) -> ZoneBatch:
    """One keyset batch of the day-start job: pending rows of `local_date` for up to `limit` active,
    scheduled goals of onboarded users in `timezones` (all at that local date), after `after`."""
    conditions = [
        users.c.timezone == sa.any_(sa.bindparam("timezones", list(timezones), type_=sa.ARRAY(sa.Text))),
        users.c.onboarding_completed_at.is_not(None),
        goals.c.status == "active",
        _scheduled_on(local_date),
    ]
    if after is not None:
        after_user, after_goal = after
        # The plain bounds let both key indexes start where the last batch ended (the planner does not
        # carry an inequality across the join); the row comparison is the exact keyset condition.
        conditions += [
            users.c.id >= after_user,
            goals.c.user_id >= after_user,
            sa.tuple_(goals.c.user_id, goals.c.id)
            > sa.tuple_(
                sa.literal(after_user, goals.c.user_id.type), sa.literal(after_goal, goals.c.id.type)
            ),
        ]
    candidates = (
        sa.select(*_CANDIDATE_COLUMNS)
        .select_from(_GOALS_WITH_OWNERS)
        .where(*conditions)
        .order_by(goals.c.user_id, goals.c.id)
        .limit(limit)
        .cte("candidates")
    )
    inserted = _insert_pending(candidates, local_date).returning(check_ins.c.id).cte("inserted")
    result = await connection.execute(
        sa.select(
            candidates.c.user_id,
            candidates.c.id,
            sa.func.count().over().label("goals"),
            sa.select(sa.func.count()).select_from(inserted).scalar_subquery().label("created"),
        )
        .order_by(candidates.c.user_id.desc(), candidates.c.id.desc())
        .limit(1)
    )
    last = result.first()
    if last is None:
        return ZoneBatch(goals=0, created=0, last_key=None)
    return ZoneBatch(goals=last.goals, created=last.created, last_key=(last.user_id, last.id))


async def onboarded_timezones(connection: AsyncConnection) -> list[str]:
    """The time zones of onboarded users (the day-start job's scopes)."""
    result = await connection.execute(
        sa.select(users.c.timezone).where(users.c.onboarding_completed_at.is_not(None)).distinct()
    )
    return list(result.scalars())


async def marked_zones(
    connection: AsyncConnection, *, job_name: str, zone_dates: dict[str, date]
) -> set[str]:
    """Which of these zones already carry the job's marker for their local date."""
    if not zone_dates:
        return set()
    result = await connection.execute(
        sa.select(job_markers.c.scope_key, job_markers.c.period_key).where(
            job_markers.c.job_name == job_name,
            job_markers.c.scope_key
            == sa.any_(sa.bindparam("zones", list(zone_dates), type_=sa.ARRAY(sa.Text))),
        )
    )
    return {row.scope_key for row in result if row.period_key == zone_dates[row.scope_key].isoformat()}


async def mark_zones(
    connection: AsyncConnection, *, job_name: str, timezones: Sequence[str], local_date: date
) -> None:
    """Record that the job handled these zones for `local_date` (one statement)."""
    if not timezones:
        return
    await connection.execute(
        insert(job_markers)
        .values(
            [
                {"job_name": job_name, "scope_key": zone, "period_key": local_date.isoformat()}
                for zone in timezones
            ]
        )
        .on_conflict_do_nothing()
    )


def day_end_in_owner_zone(
    user_id: sa.ColumnElement[Any], day: sa.ColumnElement[Any]
) -> sa.ColumnElement[Any]:
    """local_day_end in the zone of the user `user_id`."""
    owner_zone = sa.select(users.c.timezone).where(users.c.id == user_id).scalar_subquery()
    return local_day_end(owner_zone, day)


async def mark_missed_checkins(connection: AsyncConnection, *, now: datetime, limit: int = BATCH_SIZE) -> int:
    """Turn up to `limit` pending rows whose local day has ended at `now` into missed, and in the same
    statement zero the streak (and its start) of their goals (§3.2, domain.streaks.apply_missed);
    returns how many (< limit: nothing more is due, bar rows locked right now).

    The rows come from the missed_due_at index in due order: a run reads only what is due, however
    many users there are. Rows or goals locked by an answering transaction are skipped (the next run
    takes them): this statement never waits on a lock a request holds.
    """
    due = (
        sa.select(check_ins.c.id)
        .select_from(check_ins.join(goals, goals.c.id == check_ins.c.goal_id))
        .where(
            is_pending(check_ins.c.status),
            check_ins.c.missed_due_at.is_not(None),
            check_ins.c.missed_due_at <= sa.literal(now, sa.DateTime(timezone=True)),
        )
        .order_by(check_ins.c.missed_due_at)
        .limit(limit)
        .with_for_update(of=[check_ins, goals], skip_locked=True)
        .cte("due")
    )
    missed = (
        sa.update(check_ins)
        .where(check_ins.c.id == due.c.id)
        .values(
            status=CheckInStatus.MISSED.value,
            prompt_due_at=None,
            followup_due_at=None,
            updated_at=sa.func.now(),
        )
        .returning(check_ins.c.goal_id)
        .cte("missed")
    )
    streaks_reset = (
        sa.update(goals)
        .where(goals.c.id.in_(sa.select(missed.c.goal_id)))
        .values(current_streak=0, streak_start_date=None, updated_at=sa.func.now())
        .cte("streaks_reset")
    )
    result = await connection.execute(sa.select(sa.func.count()).select_from(missed).add_cte(streaks_reset))
    return int(result.scalar_one())
