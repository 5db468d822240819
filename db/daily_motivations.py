"""Daily motivations (docs client-behaviour §5): a user's row of their local today, what a motivation is
written from, storing new rows, the reads of the list and one row, sharing and regenerating.

Every statement is scoped to the user: by user_id, or, for a job's batch, by the (user, date) pairs it
was given. Writing a day's row deletes the user's rows of earlier dates in the same statement, so at
most one row per user stays (two only while a zone change puts a later date first).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, fields
from datetime import date, datetime
from typing import Any, Final
from uuid import UUID

import sqlalchemy as sa
from sqlalchemy.dialects.postgresql import ARRAY, insert
from sqlalchemy.dialects.postgresql import UUID as PG_UUID
from sqlalchemy.ext.asyncio import AsyncConnection

from db.local_dates import local_date_at
from db.tables import daily_motivations, goals, users
from domain.daily_motivation import GOALS_IN_PROMPT, MotivationSubject, background_colors
from domain.goal_rules import GoalStatus

__all__ = [
    "MotivationDraft",
    "MotivationRow",
    "SubjectOnDate",
    "TodaysMotivation",
    "motivation_of_owner",
    "motivation_on",
    "motivation_page",
    "motivation_subjects",
    "regenerate_motivation",
    "share_motivation",
    "store_motivations",
    "todays_motivation",
]


@dataclass(frozen=True, slots=True)
class MotivationRow:
    """A daily_motivations row (the DailyMotivation shape, plus the day's regeneration count)."""

    id: UUID
    user_id: UUID
    message: str
    background_style: str
    background_colors: list[str]
    date: date
    generated_at: datetime
    share_count: int
    regenerations: int
    created_at: datetime


_COLUMNS: Final = tuple(daily_motivations.c[field.name] for field in fields(MotivationRow))


def _row(row: sa.Row[Any]) -> MotivationRow:
    return MotivationRow(**{field.name: getattr(row, field.name) for field in fields(MotivationRow)})


@dataclass(frozen=True, slots=True)
class MotivationDraft:
    """A text to store as `user_id`'s motivation of `local_date`."""

    user_id: UUID
    local_date: date
    message: str
    background_style: str


# --- Today's row ------------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class TodaysMotivation:
    local_date: date  # the user's calendar date at `now`
    plan: str  # users.plan, the cached effective plan
    row: MotivationRow | None


async def todays_motivation(
    connection: AsyncConnection, user_id: UUID, *, now: datetime
) -> TodaysMotivation | None:
    """The user's local date at `now`, their plan and their row of that date if written (one
    statement); None when the user no longer exists."""
    local_today = local_date_at(users.c.timezone, sa.literal(now, sa.DateTime(timezone=True))).label(
        "local_today"
    )
    statement = (
        sa.select(local_today, users.c.plan, *_COLUMNS)
        .select_from(
            users.outerjoin(
                daily_motivations,
                sa.and_(daily_motivations.c.user_id == users.c.id, daily_motivations.c.date == local_today),
            )
        )
        .where(users.c.id == user_id)
    )
    found = (await connection.execute(statement)).one_or_none()
    if found is None:
        return None
    return TodaysMotivation(found.local_today, found.plan, None if found.id is None else _row(found))


async def motivation_on(connection: AsyncConnection, user_id: UUID, local_date: date) -> MotivationRow | None:
    """The user's row of `local_date` (the re-read after an insert that lost to a concurrent one)."""
    row = (
        await connection.execute(
            sa.select(*_COLUMNS).where(
                daily_motivations.c.user_id == user_id, daily_motivations.c.date == local_date
            )
        )
    ).one_or_none()
    return None if row is None else _row(row)


# --- What a motivation is written from --------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class SubjectOnDate:
    user_id: UUID
    local_date: date
    subject: MotivationSubject
    has_row: bool  # a row of that date exists already (written by a request or another chunk)


_targets = (
    sa.func.unnest(
        sa.cast(
            sa.bindparam("target_user_ids", type_=ARRAY(PG_UUID(as_uuid=True))), ARRAY(PG_UUID(as_uuid=True))
        ),
        sa.cast(sa.bindparam("target_dates", type_=ARRAY(sa.Date())), ARRAY(sa.Date())),
    )
    .table_valued(
        sa.column("user_id", PG_UUID(as_uuid=True)), sa.column("local_date", sa.Date()), name="target"
    )
    .render_derived()
)


def _target_params(pairs: Sequence[tuple[UUID, date]]) -> dict[str, list[Any]]:
    return {"target_user_ids": [user_id for user_id, _ in pairs], "target_dates": [day for _, day in pairs]}


def _subjects_statement() -> sa.Select[Any]:
    active = sa.and_(goals.c.user_id == users.c.id, goals.c.status == GoalStatus.ACTIVE.value)
    titles = (
        sa.select(goals.c.title).where(active).order_by(goals.c.created_at, goals.c.id).limit(GOALS_IN_PROMPT)
    )
    best_streak = sa.select(sa.func.coalesce(sa.func.max(goals.c.current_streak), 0)).where(active)
    has_row = (
        sa.select(daily_motivations.c.id)
        .where(
            daily_motivations.c.user_id == _targets.c.user_id,
            daily_motivations.c.date == _targets.c.local_date,
        )
        .exists()
    )
    return sa.select(
        users.c.id,
        _targets.c.local_date,
        users.c.name,
        users.c.motivation_style,
        sa.func.array(titles.scalar_subquery()).label("goal_titles"),
        best_streak.scalar_subquery().label("best_streak"),
        has_row.label("has_row"),
    ).where(users.c.id == _targets.c.user_id)


_SUBJECTS: Final = _subjects_statement()


async def motivation_subjects(
    connection: AsyncConnection, pairs: Sequence[tuple[UUID, date]]
) -> list[SubjectOnDate]:
    """For each (user, local date): the user's name, tone, first active goals and best current streak,
    and whether that date's row exists already. Users that no longer exist are left out."""
    if not pairs:
        return []
    result = await connection.execute(_SUBJECTS, _target_params(pairs))
    return [
        SubjectOnDate(
            user_id=row.id,
            local_date=row.local_date,
            subject=MotivationSubject(
                name=row.name,
                motivation_style=row.motivation_style,
                goal_titles=tuple(row.goal_titles),
                best_streak=row.best_streak,
            ),
            has_row=row.has_row,
        )
        for row in result
    ]


# --- Writing ----------------------------------------------------------------------------------------


# Deletes each target user's rows dated before the target date: a CTE of the writing statements, bound
# through _target_params (PostgreSQL runs a data-modifying CTE even though nothing reads it).
_CLEAR_EARLIER: Final = (
    sa.delete(daily_motivations)
    .where(
        daily_motivations.c.user_id == _targets.c.user_id,
        daily_motivations.c.date < _targets.c.local_date,
    )
    .cte("cleared")
)


def _values(draft: MotivationDraft, now: datetime) -> dict[str, Any]:
    return {
        "user_id": draft.user_id,
        "date": draft.local_date,
        "message": draft.message,
        "background_style": draft.background_style,
        "background_colors": background_colors(draft.background_style),
        "generated_at": now,
    }


async def store_motivations(
    connection: AsyncConnection, drafts: Sequence[MotivationDraft], *, now: datetime
) -> list[MotivationRow]:
    """Insert the drafts (one statement), each user's earlier rows deleted; a (user, date) that has a
    row already keeps it and is not returned (re-read it with `motivation_on`)."""
    if not drafts:
        return []
    pairs = [(draft.user_id, draft.local_date) for draft in drafts]
    statement = (
        insert(daily_motivations)
        .values([_values(draft, now) for draft in drafts])
        .on_conflict_do_nothing(index_elements=[daily_motivations.c.user_id, daily_motivations.c.date])
        .returning(*_COLUMNS)
        .add_cte(_CLEAR_EARLIER)
    )
    return [_row(row) for row in await connection.execute(statement, _target_params(pairs))]


async def regenerate_motivation(
    connection: AsyncConnection, draft: MotivationDraft, *, now: datetime, daily_cap: int
) -> MotivationRow | None:
    """Replace the user's row of the draft's date with the draft (or write it), counting a regeneration;
    None when that row has been regenerated `daily_cap` times already. The row keeps its id; its share
    count restarts, since it counts shares of the text it shows."""
    pairs = [(draft.user_id, draft.local_date)]
    values = {**_values(draft, now), "regenerations": 1}
    upsert = insert(daily_motivations).values(values)
    statement = (
        upsert.on_conflict_do_update(
            index_elements=[daily_motivations.c.user_id, daily_motivations.c.date],
            set_={
                "message": upsert.excluded.message,
                "background_style": upsert.excluded.background_style,
                "background_colors": upsert.excluded.background_colors,
                "generated_at": upsert.excluded.generated_at,
                "share_count": 0,
                "regenerations": daily_motivations.c.regenerations + 1,
            },
            where=daily_motivations.c.regenerations < daily_cap,
        )
        .returning(*_COLUMNS)
        .add_cte(_CLEAR_EARLIER)
    )
    row = (await connection.execute(statement, _target_params(pairs))).one_or_none()
    return None if row is None else _row(row)


async def share_motivation(connection: AsyncConnection, user_id: UUID, motivation_id: UUID) -> int | None:
    """Count one share of the user's row; its new count, or None when the row is not theirs."""
    result = await connection.execute(
        sa.update(daily_motivations)
        .where(daily_motivations.c.id == motivation_id, daily_motivations.c.user_id == user_id)
        .values(share_count=daily_motivations.c.share_count + 1)
        .returning(daily_motivations.c.share_count)
    )
    count: int | None = result.scalar_one_or_none()
    return count


# --- Reading ----------------------------------------------------------------------------------------


async def motivation_page(
    connection: AsyncConnection, user_id: UUID, *, limit: int, offset: int
) -> list[MotivationRow]:
    """The user's rows, newest date first (the unique (user_id, date) index, read backwards)."""
    result = await connection.execute(
        sa.select(*_COLUMNS)
        .where(daily_motivations.c.user_id == user_id)
        .order_by(daily_motivations.c.date.desc())
        .limit(limit)
        .offset(offset)
    )
    return [_row(row) for row in result]


async def motivation_of_owner(
    connection: AsyncConnection, user_id: UUID, motivation_id: UUID
) -> MotivationRow | None:
    row = (
        await connection.execute(
            sa.select(*_COLUMNS).where(
                daily_motivations.c.id == motivation_id, daily_motivations.c.user_id == user_id
            )
        )
    ).one_or_none()
    return None if row is None else _row(row)
