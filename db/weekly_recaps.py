"""weekly_recaps rows (§2.7): written a chunk at a time, read by their owner.

`store_recaps` writes every recap of a chunk in ONE `INSERT … SELECT FROM jsonb_to_recordset(…)`
with ON CONFLICT (user_id, week_start): the job's DO NOTHING keeps a recap already there (written by an
earlier run, a doubled chunk message or the app's own GET /recaps/weekly) and returns only the rows it
inserted, the ones to announce; force_regenerate's DO UPDATE replaces the content and keeps viewed_at.
Every read is scoped to the owner: another user's id reads as missing.
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
from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.ext.asyncio import AsyncConnection

from db.tables import weekly_recaps
from domain.weekly_recap_text import RecapText
from domain.weekly_recaps import RecapNumbers

__all__ = [
    "NewRecap",
    "RecapRow",
    "StoredRecap",
    "recap_by_id_viewed",
    "recap_for_week",
    "recap_page",
    "store_recaps",
]

_UUID = postgresql.UUID(as_uuid=True)
# Not "user_id": an UPDATE would take a parameter named after one of its columns as a value to SET.
_OWNER = sa.bindparam("owner_id", type_=_UUID)


@dataclass(frozen=True, slots=True)
class NewRecap:
    user_id: UUID
    numbers: RecapNumbers
    text: RecapText


@dataclass(frozen=True, slots=True)
class StoredRecap:
    """A row the write inserted (or replaced): what its notice needs."""

    id: UUID
    user_id: UUID
    week_start: date
    goals_hit: int
    goals_total: int
    consistency_percent: Decimal


@dataclass(frozen=True, slots=True)
class RecapRow:
    id: UUID
    user_id: UUID
    week_start: date
    week_end: date
    goals_hit: int
    goals_total: int
    consistency_percent: Decimal | None
    summary: str | None
    win: str | None
    insight: str | None
    focus_next_week: str | None
    motivational_close: str | None
    recap_text: str | None
    stats: dict[str, Any] | None
    goal_breakdown: list[dict[str, Any]] | None
    completion_rate_trend: list[dict[str, Any]] | None
    achievements_unlocked: list[dict[str, Any]] | None
    partner_context: list[dict[str, Any]] | None
    generated_at: datetime | None
    viewed_at: datetime | None
    created_at: datetime
    updated_at: datetime


_ROW_COLUMNS: Final = tuple(weekly_recaps.c[name] for name in RecapRow.__dataclass_fields__)
_CONTENT: Final = (
    "week_end",
    "goals_hit",
    "goals_total",
    "consistency_percent",
    "summary",
    "win",
    "insight",
    "focus_next_week",
    "motivational_close",
    "recap_text",
    "stats",
    "goal_breakdown",
    "completion_rate_trend",
    "achievements_unlocked",
    "partner_context",
)
_WRITTEN: Final = ("user_id", "week_start", *_CONTENT)


def _store_statement(*, replace: bool) -> sa.Insert:
    incoming = (
        sa.func.jsonb_to_recordset(sa.bindparam("recaps", type_=JSONB))
        .table_valued(*(sa.column(name, weekly_recaps.c[name].type) for name in _WRITTEN), name="incoming")
        .render_derived(with_types=True)
    )
    now = sa.bindparam("now", type_=sa.DateTime(timezone=True))
    insert = postgresql.insert(weekly_recaps).from_select(
        [*_WRITTEN, "generated_at"],
        sa.select(*(incoming.c[name] for name in _WRITTEN), now).select_from(incoming),
    )
    keys = [weekly_recaps.c.user_id, weekly_recaps.c.week_start]
    if replace:
        updated = {name: insert.excluded[name] for name in (*_CONTENT, "generated_at")}
        insert = insert.on_conflict_do_update(index_elements=keys, set_={**updated, "updated_at": now})
    else:
        insert = insert.on_conflict_do_nothing(index_elements=keys)
    return insert.returning(
        weekly_recaps.c.id,
        weekly_recaps.c.user_id,
        weekly_recaps.c.week_start,
        weekly_recaps.c.goals_hit,
        weekly_recaps.c.goals_total,
        weekly_recaps.c.consistency_percent,
    )


_INSERT_NEW: Final = _store_statement(replace=False)
_UPSERT: Final = _store_statement(replace=True)


def _record(recap: NewRecap) -> dict[str, Any]:
    numbers, text = recap.numbers, recap.text
    return {
        "user_id": str(recap.user_id),
        "week_start": numbers.week_start.isoformat(),
        "week_end": numbers.week_end.isoformat(),
        "goals_hit": numbers.goals_hit,
        "goals_total": numbers.goals_total,
        "consistency_percent": float(numbers.consistency_percent),
        "summary": text.summary,
        "win": text.win,
        "insight": text.insight,
        "focus_next_week": text.focus_next_week,
        "motivational_close": text.motivational_close,
        # The app's screens show recap_text (client-behaviour §6.1); it is the summary.
        "recap_text": text.summary,
        "stats": numbers.stats,
        "goal_breakdown": numbers.goal_breakdown,
        "completion_rate_trend": numbers.completion_rate_trend,
        "achievements_unlocked": numbers.achievements_unlocked,
        "partner_context": numbers.partner_context,
    }


async def store_recaps(
    connection: AsyncConnection, recaps: Sequence[NewRecap], *, now: datetime, replace: bool
) -> list[StoredRecap]:
    """Write `recaps` in one statement: new ones only (`replace=False`, returns those inserted), or
    replacing the content of existing ones (`replace=True`, returns them all)."""
    if not recaps:
        return []
    result = await connection.execute(
        _UPSERT if replace else _INSERT_NEW,
        {"recaps": [_record(recap) for recap in recaps], "now": now},
    )
    return [StoredRecap(**row._mapping) for row in result]


_PAGE: Final = (
    sa.select(*_ROW_COLUMNS)
    .where(
        weekly_recaps.c.user_id == _OWNER,
        weekly_recaps.c.week_start < sa.bindparam("before", type_=sa.Date),
    )
    .order_by(weekly_recaps.c.week_start.desc())
    .limit(sa.bindparam("limit", type_=sa.Integer))
    .offset(sa.bindparam("offset", type_=sa.Integer))
)
_COUNT: Final = sa.select(sa.func.count()).select_from(weekly_recaps).where(weekly_recaps.c.user_id == _OWNER)
# Later than any week a recap can describe: the first page's keyset position.
_NO_POSITION: Final = date.max


async def recap_page(
    connection: AsyncConnection, user_id: UUID, *, limit: int, before: date | None, offset: int
) -> tuple[list[RecapRow], int]:
    """The owner's recaps newest week first: those before the week `before` (a cursor), else from
    `offset`; and how many the owner has in all (UNIQUE (user_id, week_start) serves both)."""
    parameters = {"owner_id": user_id, "limit": limit, "before": before or _NO_POSITION, "offset": offset}
    rows = [RecapRow(**row._mapping) for row in await connection.execute(_PAGE, parameters)]
    total = (await connection.execute(_COUNT, parameters)).scalar_one()
    return rows, total


_FOR_WEEK: Final = sa.select(*_ROW_COLUMNS).where(
    weekly_recaps.c.user_id == _OWNER, weekly_recaps.c.week_start == sa.bindparam("week_start", type_=sa.Date)
)


async def recap_for_week(connection: AsyncConnection, user_id: UUID, week_start: date) -> RecapRow | None:
    row = (await connection.execute(_FOR_WEEK, {"owner_id": user_id, "week_start": week_start})).first()
    return RecapRow(**row._mapping) if row else None


def _viewed_statement() -> sa.Select[Any]:
    recap_id = sa.bindparam("recap_id", type_=_UUID)
    first_view = (
        sa.update(weekly_recaps)
        .where(
            weekly_recaps.c.id == recap_id,
            weekly_recaps.c.user_id == _OWNER,
            weekly_recaps.c.viewed_at.is_(None),
        )
        .values(viewed_at=sa.bindparam("now", type_=sa.DateTime(timezone=True)))
        .returning(*_ROW_COLUMNS)
        .cte("first_view")
    )
    # The statement's snapshot still shows the row before the update: served from the update when
    # it happened, from the table otherwise.
    earlier = sa.select(*_ROW_COLUMNS, sa.false().label("first_view")).where(
        weekly_recaps.c.id == recap_id,
        weekly_recaps.c.user_id == _OWNER,
        ~sa.exists(sa.select(first_view.c.id)),
    )
    return sa.select(*first_view.c, sa.true().label("first_view")).union_all(earlier)  # type: ignore[return-value]


_VIEWED: Final = _viewed_statement()


async def recap_by_id_viewed(
    connection: AsyncConnection, user_id: UUID, recap_id: UUID, *, now: datetime
) -> tuple[RecapRow, bool] | None:
    """The owner's recap with viewed_at set on its first view (one statement), and whether this was
    that first view; None when the id is not one of the owner's recaps."""
    row = (await connection.execute(_VIEWED, {"owner_id": user_id, "recap_id": recap_id, "now": now})).first()
    if row is None:
        return None
    fields = dict(row._mapping)
    first_view = fields.pop("first_view")
    return RecapRow(**fields), first_view
