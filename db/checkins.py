"""Check-in rows: answering today's occurrence, reading them back, and repairing streaks (§3.2, §3.3).

The answer is written under the goal row lock, in this order (one transaction, the caller's):

1. `lock_goal_to_answer` — SELECT … FOR UPDATE OF goals, with what the rules and the reply need;
2. `mark_overdue_pending_missed` — the goal's pending rows dated before local today become missed,
   exactly what the missed job would do, so the stats see the rows in date order (domain.streaks);
3. `record_answer` — ONE statement: upsert today's row (only while pending) and, if it was written,
   store the goal's new stats (computed by domain.streaks.apply_answer, not by re-reading history).

Lock order: goal row first, then its check-in rows. The missed job (db/daily_checkins.py) locks
both with SKIP LOCKED, so it passes over a goal being answered instead of deadlocking with it; the
answer has then already closed the goal's older rows itself.

`recompute_goal_streaks` rebuilds the stats from the rows (domain.streaks.recompute_stats) for data
repair and to prove the incremental path right.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, fields
from datetime import date, datetime
from typing import Any, Final
from uuid import UUID

import sqlalchemy as sa
from sqlalchemy.dialects.postgresql import ARRAY, insert
from sqlalchemy.ext.asyncio import AsyncConnection

from db.partial_index_predicates import is_pending
from db.partner_inactivity import has_accepted_partner, notice_instant, watch_silence
from db.sql_arrays import uuid_array
from db.tables import check_ins, goals, users
from domain.goal_rules import GoalStatus
from domain.streaks import CheckInStatus, GoalStreakStats, recompute_stats

__all__ = [
    "CHECK_IN_COLUMNS",
    "EDITABLE_COLUMNS",
    "CheckInAnswer",
    "CheckInFilter",
    "CheckInRow",
    "CheckInTotals",
    "GoalState",
    "GoalStreakRow",
    "GoalToAnswer",
    "OwnedCheckIn",
    "active_goal_streaks",
    "checkin_of_owner",
    "checkin_page",
    "checkin_totals",
    "checkins_between",
    "edit_checkin",
    "goal_state",
    "lock_checkin_to_edit",
    "lock_goal_to_answer",
    "mark_overdue_pending_missed",
    "recompute_goal_streaks",
    "record_answer",
    "user_timezone",
]


@dataclass(frozen=True, slots=True)
class CheckInRow:
    """A check_ins row as the API shows it (the CheckIn shape of §5)."""

    id: UUID
    goal_id: UUID
    user_id: UUID
    check_in_date: date
    status: str
    mood: str | None
    skip_reason: str | None
    note: str | None
    voice_note_url: str | None
    voice_note_transcript: str | None
    ai_response: str | None
    created_at: datetime
    updated_at: datetime


CHECK_IN_COLUMNS: Final = tuple(check_ins.c[field.name] for field in fields(CheckInRow))

# The goal columns that domain.streaks.GoalStreakStats mirrors, in its field order.
_STATS_COLUMNS: Final = tuple(goals.c[field.name] for field in fields(GoalStreakStats))


def _stats_of(row: sa.RowMapping) -> GoalStreakStats:
    return GoalStreakStats(**{column.name: row[column.name] for column in _STATS_COLUMNS})


def _stats_values(stats: GoalStreakStats) -> dict[str, Any]:
    return {column.name: getattr(stats, column.name) for column in _STATS_COLUMNS}


# --- Answering ---------------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class GoalToAnswer:
    """The locked goal with its owner's zone, name, style and cached plan (what the rules and reply use)."""

    goal_id: UUID
    title: str
    status: str
    frequency_type: str
    frequency_count: int
    target_days: tuple[int, ...] | None
    stats: GoalStreakStats
    timezone: str
    user_name: str
    motivation_style: str
    plan: str
    # The goal's oldest pending row, so the answer skips the mark-missed statement when none is overdue
    # (the day's own pending row is the usual one).
    oldest_pending_date: date | None


# The answering statements are built once, at import, with named bind parameters: a statement
# memoizes its cache key, so SQLAlchemy reuses the compiled form instead of rebuilding and re-hashing
# it per request. The names differ from check_ins' column names, which SQLAlchemy reserves for the
# SET / VALUES of an UPDATE or INSERT.
_OWNER_ID = sa.bindparam("owner_id", type_=goals.c.user_id.type)
_ANSWERED_GOAL_ID = sa.bindparam("answered_goal_id", type_=goals.c.id.type)
_AT = sa.bindparam("at", type_=check_ins.c.updated_at.type)

_LOCK_GOAL_TO_ANSWER: Final = (
    sa.select(
        goals.c.id,
        goals.c.title,
        goals.c.status,
        goals.c.frequency_type,
        goals.c.frequency_count,
        goals.c.target_days,
        *_STATS_COLUMNS,
        users.c.timezone,
        users.c.name,
        users.c.motivation_style,
        users.c.plan,
        # By goal alone (the goal row is the caller's): with user_id too, the planner takes the
        # (user_id, goal_id, check_in_date) key and filters the goal's whole history.
        sa.select(sa.func.min(check_ins.c.check_in_date))
        .where(check_ins.c.goal_id == goals.c.id, is_pending(check_ins.c.status))
        .scalar_subquery()
        .label("oldest_pending_date"),
    )
    .select_from(goals.join(users, users.c.id == goals.c.user_id))
    .where(goals.c.id == _ANSWERED_GOAL_ID, goals.c.user_id == _OWNER_ID)
    .with_for_update(of=goals)
)


async def lock_goal_to_answer(
    connection: AsyncConnection, *, user_id: UUID, goal_id: UUID
) -> GoalToAnswer | None:
    """Lock the caller's goal row (FOR UPDATE) and read it with its owner; None when not theirs."""
    row = (
        await connection.execute(_LOCK_GOAL_TO_ANSWER, {"answered_goal_id": goal_id, "owner_id": user_id})
    ).one_or_none()
    if row is None:
        return None
    return GoalToAnswer(
        goal_id=row.id,
        title=row.title,
        status=row.status,
        frequency_type=row.frequency_type,
        frequency_count=row.frequency_count,
        target_days=None if row.target_days is None else tuple(row.target_days),
        stats=_stats_of(row._mapping),
        timezone=row.timezone,
        user_name=row.name,
        motivation_style=row.motivation_style,
        plan=row.plan,
        oldest_pending_date=row.oldest_pending_date,
    )


_MARK_OVERDUE_PENDING_MISSED: Final = (
    sa.update(check_ins)
    .where(
        check_ins.c.user_id == _OWNER_ID,
        check_ins.c.goal_id == _ANSWERED_GOAL_ID,
        is_pending(check_ins.c.status),
        check_ins.c.check_in_date < sa.bindparam("before", type_=check_ins.c.check_in_date.type),
    )
    .values(status=CheckInStatus.MISSED.value, prompt_due_at=None, followup_due_at=None, updated_at=_AT)
)


async def mark_overdue_pending_missed(
    connection: AsyncConnection, *, user_id: UUID, goal_id: UUID, before: date, now: datetime
) -> int:
    """Turn the goal's pending rows dated before `before` (the owner's local today) into missed; how many.

    The caller holds the goal row lock and applies domain.streaks.apply_missed when this is > 0.
    """
    result = await connection.execute(
        _MARK_OVERDUE_PENDING_MISSED,
        {"owner_id": user_id, "answered_goal_id": goal_id, "before": before, "at": now},
    )
    return result.rowcount


@dataclass(frozen=True, slots=True)
class CheckInAnswer:
    """The row an answer writes. `ai_response` is the template reply; an AI reply may replace it later."""

    user_id: UUID
    goal_id: UUID
    local_date: date
    status: str
    mood: str | None
    skip_reason: str | None
    note: str | None
    ai_response: str


# The columns an answer writes, bound as "answer_<column>".
_ANSWERED_COLUMNS: Final = ("status", "mood", "skip_reason", "note", "ai_response", "responded_at")


_PARTNER_INACTIVE_DAYS: Final = sa.bindparam("partner_inactive_days", type_=sa.Integer)
# Answers that end a silence; a skip does not (§3.11).
_ENDS_A_SILENCE: Final = (CheckInStatus.COMPLETED.value, CheckInStatus.REST_DAY.value)


def _record_answer_statement() -> sa.Select[Any]:
    upsert = insert(check_ins).values(
        user_id=_OWNER_ID,
        goal_id=_ANSWERED_GOAL_ID,
        check_in_date=sa.bindparam("local_date", type_=check_ins.c.check_in_date.type),
        created_at=_AT,
        updated_at=_AT,
        **{
            column: sa.bindparam(f"answer_{column}", type_=check_ins.c[column].type)
            for column in _ANSWERED_COLUMNS
        },
    )
    answered = (
        upsert.on_conflict_do_update(
            index_elements=[check_ins.c.user_id, check_ins.c.goal_id, check_ins.c.check_in_date],
            set_={
                **{column: upsert.excluded[column] for column in _ANSWERED_COLUMNS},
                "prompt_due_at": None,
                "followup_due_at": None,
                "updated_at": _AT,
            },
            where=check_ins.c.status == CheckInStatus.PENDING.value,
        )
        .returning(*CHECK_IN_COLUMNS)
        .cte("answered")
    )
    goal_update = (
        sa.update(goals)
        .where(
            goals.c.id == _ANSWERED_GOAL_ID,
            goals.c.user_id == _OWNER_ID,
            sa.exists(sa.select(answered.c.id)),
        )
        .values(
            {
                **{
                    column: sa.bindparam(f"stats_{column.name}", type_=column.type)
                    for column in _STATS_COLUMNS
                },
                goals.c.updated_at: _AT,
            }
        )
        .cte("goal_update")
    )
    # A completed or rest-day answer restarts the user's silence for the partner-inactive notice
    # (§3.11): due at 10:00 local, N days after today (db/partner_inactivity.py), when they have partners.
    silence = sa.select(
        answered.c.user_id,
        notice_instant(users.c.timezone, answered.c.check_in_date, _PARTNER_INACTIVE_DAYS),
        _AT,
        _AT,
    ).where(
        users.c.id == answered.c.user_id,
        answered.c.status.in_(_ENDS_A_SILENCE),
        has_accepted_partner(answered.c.user_id),
    )
    watched = watch_silence(silence, replace=True).cte("watched")
    # The SELECT never reads goal_update or watched; add_cte renders them anyway, and PostgreSQL runs
    # every data-modifying CTE of a statement.
    return sa.select(*answered.c).add_cte(goal_update, watched)


_RECORD_ANSWER: Final = _record_answer_statement()


async def record_answer(
    connection: AsyncConnection,
    answer: CheckInAnswer,
    stats: GoalStreakStats,
    *,
    now: datetime,
    partner_inactive_days: int,
) -> CheckInRow | None:
    """Answer the occurrence (insert the row if it is missing) and store the goal's new `stats`.

    One statement: the upsert only touches a row that is still pending, and the goal is updated only
    when the upsert wrote a row. None means the occurrence was already answered (nothing changed).
    Answering clears the prompt and follow-up due instants: there is nothing left to ask; a completed
    or rest-day answer also moves the partner-inactive instant `partner_inactive_days` days on.
    """
    parameters = {
        "owner_id": answer.user_id,
        "answered_goal_id": answer.goal_id,
        "local_date": answer.local_date,
        "at": now,
        "answer_status": answer.status,
        "answer_mood": answer.mood,
        "answer_skip_reason": answer.skip_reason,
        "answer_note": answer.note,
        "answer_ai_response": answer.ai_response,
        "answer_responded_at": now,
        "partner_inactive_days": partner_inactive_days,
        **{f"stats_{name}": value for name, value in _stats_values(stats).items()},
    }
    row = (await connection.execute(_RECORD_ANSWER, parameters)).one_or_none()
    return None if row is None else CheckInRow(**row._mapping)


async def recompute_goal_streaks(
    connection: AsyncConnection, goal_ids: Sequence[UUID]
) -> dict[UUID, GoalStreakStats]:
    """Rebuild the streak and progress columns of `goal_ids` from their rows (one read, one UPDATE).

    For data repair and tests; the answering path never calls it. Returns the stats written per goal.
    """
    if not goal_ids:
        return {}
    rows = await connection.execute(
        sa.select(check_ins.c.goal_id, check_ins.c.check_in_date, check_ins.c.status).where(
            check_ins.c.goal_id == sa.any_(uuid_array("goal_ids", goal_ids))
        )
    )
    occurrences: dict[UUID, list[tuple[date, str]]] = {goal_id: [] for goal_id in goal_ids}
    for row in rows:
        occurrences[row.goal_id].append((row.check_in_date, row.status))
    rebuilt = {goal_id: recompute_stats(history) for goal_id, history in occurrences.items()}
    await connection.execute(_RECOMPUTE_UPDATE, _recompute_params(rebuilt))
    return rebuilt


_RECOMPUTED_COLUMNS: Final[tuple[tuple[str, Any], ...]] = (
    ("goal_id", goals.c.id.type),
    *((column.name, column.type) for column in _STATS_COLUMNS),
)
_recomputed = (
    sa.func.unnest(
        *(sa.cast(sa.bindparam(name, type_=ARRAY(kind)), ARRAY(kind)) for name, kind in _RECOMPUTED_COLUMNS)
    )
    .table_valued(*(sa.column(name, kind) for name, kind in _RECOMPUTED_COLUMNS), name="recomputed")
    .render_derived()
)
_RECOMPUTE_UPDATE: Final = (
    sa.update(goals)
    .where(goals.c.id == _recomputed.c.goal_id)
    .values(
        {
            **{column.name: _recomputed.c[column.name] for column in _STATS_COLUMNS},
            "updated_at": sa.func.now(),
        }
    )
)


def _recompute_params(rebuilt: dict[UUID, GoalStreakStats]) -> dict[str, list[Any]]:
    params: dict[str, list[Any]] = {"goal_id": list(rebuilt)}
    for column in _STATS_COLUMNS:
        params[column.name] = [getattr(stats, column.name) for stats in rebuilt.values()]
    return params


# --- Editing -----------------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class OwnedCheckIn:
    """A caller's row with the owner's zone: enough to decide whether it may still be edited."""

    row: CheckInRow
    timezone: str


async def lock_checkin_to_edit(
    connection: AsyncConnection, *, user_id: UUID, checkin_id: UUID
) -> OwnedCheckIn | None:
    """The caller's row, locked against a concurrent edit; None when it is not theirs."""
    row = (
        await connection.execute(
            sa.select(*CHECK_IN_COLUMNS, users.c.timezone)
            .select_from(check_ins.join(users, users.c.id == check_ins.c.user_id))
            .where(check_ins.c.id == checkin_id, check_ins.c.user_id == user_id)
            .with_for_update(of=check_ins)
        )
    ).one_or_none()
    if row is None:
        return None
    values = dict(row._mapping)
    timezone = values.pop("timezone")
    return OwnedCheckIn(row=CheckInRow(**values), timezone=timezone)


# What PUT /check-ins/{id} may change; the status is never among them (§3.2).
EDITABLE_COLUMNS: Final = frozenset({"mood", "note", "skip_reason"})


async def edit_checkin(
    connection: AsyncConnection,
    *,
    user_id: UUID,
    checkin_id: UUID,
    changes: Mapping[str, str | None],
    now: datetime,
) -> CheckInRow | None:
    """Write `changes` (a subset of EDITABLE_COLUMNS) to the caller's row."""
    if not set(changes) <= EDITABLE_COLUMNS:
        raise ValueError(f"not editable: {sorted(set(changes) - EDITABLE_COLUMNS)}")
    row = (
        await connection.execute(
            sa.update(check_ins)
            .where(check_ins.c.id == checkin_id, check_ins.c.user_id == user_id)
            .values(**changes, updated_at=now)
            .returning(*CHECK_IN_COLUMNS)
        )
    ).one_or_none()
    return None if row is None else CheckInRow(**row._mapping)


# --- Reading -----------------------------------------------------------------------------------------


async def user_timezone(connection: AsyncConnection, user_id: UUID) -> str | None:
    """The user's IANA zone (every "today" of the read routes is taken in it)."""
    return (
        await connection.execute(sa.select(users.c.timezone).where(users.c.id == user_id))
    ).scalar_one_or_none()


@dataclass(frozen=True, slots=True)
class CheckInFilter:
    """Which of a user's rows a list reads: one goal or all, an inclusive local-date range, pending or not."""

    user_id: UUID
    goal_id: UUID | None = None
    first_date: date | None = None
    last_date: date | None = None
    exclude_pending: bool = False


def _where(selection: CheckInFilter) -> list[sa.ColumnElement[bool]]:
    clauses = [check_ins.c.user_id == selection.user_id]
    if selection.goal_id is not None:
        clauses.append(check_ins.c.goal_id == selection.goal_id)
    if selection.first_date is not None:
        clauses.append(check_ins.c.check_in_date >= selection.first_date)
    if selection.last_date is not None:
        clauses.append(check_ins.c.check_in_date <= selection.last_date)
    if selection.exclude_pending:
        clauses.append(check_ins.c.status != CheckInStatus.PENDING.value)
    return clauses


async def checkin_page(
    connection: AsyncConnection,
    selection: CheckInFilter,
    *,
    limit: int,
    after: tuple[date, UUID] | None = None,
    offset: int = 0,
) -> list[CheckInRow]:
    """Up to `limit` rows, newest local date first (then id, descending), after the keyset position
    `after` (check_in_date, id) or, when there is none, skipping `offset` rows."""
    statement = (
        sa.select(*CHECK_IN_COLUMNS)
        .where(*_where(selection))
        .order_by(check_ins.c.check_in_date.desc(), check_ins.c.id.desc())
        .limit(limit)
    )
    if after is not None:
        statement = statement.where(sa.tuple_(check_ins.c.check_in_date, check_ins.c.id) < sa.tuple_(*after))
    elif offset:
        statement = statement.offset(offset)
    return [CheckInRow(**row._mapping) for row in await connection.execute(statement)]


async def checkins_between(connection: AsyncConnection, selection: CheckInFilter) -> list[CheckInRow]:
    """Every row the filter selects (a bounded date range, e.g. one month), oldest date first."""
    statement = (
        sa.select(*CHECK_IN_COLUMNS)
        .where(*_where(selection))
        .order_by(check_ins.c.check_in_date, check_ins.c.created_at, check_ins.c.id)
    )
    return [CheckInRow(**row._mapping) for row in await connection.execute(statement)]


async def checkin_of_owner(
    connection: AsyncConnection, *, user_id: UUID, checkin_id: UUID
) -> CheckInRow | None:
    row = (
        await connection.execute(
            sa.select(*CHECK_IN_COLUMNS).where(check_ins.c.id == checkin_id, check_ins.c.user_id == user_id)
        )
    ).one_or_none()
    return None if row is None else CheckInRow(**row._mapping)


@dataclass(frozen=True, slots=True)
class CheckInTotals:
    """Row counts per status, and of non-pending and completed rows in the last 7 and 30 local days."""

    completed: int
    skipped: int
    missed: int
    rest_day: int
    pending: int
    settled_last_7d: int
    completed_last_7d: int
    settled_last_30d: int
    completed_last_30d: int


async def checkin_totals(
    connection: AsyncConnection,
    *,
    user_id: UUID,
    goal_id: UUID | None,
    today: date,
    since_7d: date,
    since_30d: date,
) -> CheckInTotals:
    """Counts over the user's rows (or one goal's), in one aggregate statement."""
    status, day = check_ins.c.status, check_ins.c.check_in_date
    settled = status != CheckInStatus.PENDING.value
    completed = status == CheckInStatus.COMPLETED.value

    def count_where(*conditions: sa.ColumnElement[bool]) -> sa.ColumnElement[int]:
        return sa.func.count().filter(sa.and_(*conditions))

    in_7d = sa.and_(day >= since_7d, day <= today)
    in_30d = sa.and_(day >= since_30d, day <= today)
    row = (
        await connection.execute(
            sa.select(
                *(count_where(status == kind.value).label(kind.value) for kind in CheckInStatus),
                count_where(settled, in_7d).label("settled_last_7d"),
                count_where(completed, in_7d).label("completed_last_7d"),
                count_where(settled, in_30d).label("settled_last_30d"),
                count_where(completed, in_30d).label("completed_last_30d"),
            ).where(*_where(CheckInFilter(user_id=user_id, goal_id=goal_id)))
        )
    ).one()
    return CheckInTotals(**row._mapping)


@dataclass(frozen=True, slots=True)
class GoalStreakRow:
    current_streak: int
    longest_streak: int
    streak_start_date: date | None
    last_checkin_date: date | None


_STREAK_COLUMNS: Final = tuple(goals.c[field.name] for field in fields(GoalStreakRow))


@dataclass(frozen=True, slots=True)
class GoalState:
    """One of the caller's goals (any status): its status, schedule, streak and the owner's zone."""

    goal_id: UUID
    status: str
    frequency_type: str
    target_days: tuple[int, ...] | None
    streak: GoalStreakRow
    timezone: str


async def goal_state(connection: AsyncConnection, *, user_id: UUID, goal_id: UUID) -> GoalState | None:
    """The caller's goal; None when it does not exist or is someone else's (the routes answer 404)."""
    row = (
        await connection.execute(
            sa.select(
                goals.c.id,
                goals.c.status,
                goals.c.frequency_type,
                goals.c.target_days,
                *_STREAK_COLUMNS,
                users.c.timezone,
            )
            .select_from(goals.join(users, users.c.id == goals.c.user_id))
            .where(goals.c.id == goal_id, goals.c.user_id == user_id)
        )
    ).one_or_none()
    if row is None:
        return None
    return GoalState(
        goal_id=row.id,
        status=row.status,
        frequency_type=row.frequency_type,
        target_days=None if row.target_days is None else tuple(row.target_days),
        streak=GoalStreakRow(**{column.name: row._mapping[column.name] for column in _STREAK_COLUMNS}),
        timezone=row.timezone,
    )


async def active_goal_streaks(connection: AsyncConnection, *, user_id: UUID) -> list[GoalStreakRow]:
    """The streak columns of the user's active goals (the user streak is taken over them, §3.3)."""
    rows = await connection.execute(
        sa.select(*_STREAK_COLUMNS).where(
            goals.c.user_id == user_id, goals.c.status == GoalStatus.ACTIVE.value
        )
    )
    return [GoalStreakRow(**row._mapping) for row in rows]
