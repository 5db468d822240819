"""pattern_insights rows (docs/domain.md §3.14): the read, and the writes of the generation's steps.

A generation first claims the row: `claim_generation` sets it `generating` with a new claim_id, in one
statement per set of goals, unless another generation holds it (generating since less than the stale
bound). Only the holder of the claim may store (`store_generated`, `store_failed`): a late or doubled
generation, whose claim was taken over, changes nothing. Every statement takes sets of goals, so the
weekly job writes a whole chunk with one statement per step.
"""

from __future__ import annotations

import uuid
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any
from uuid import UUID

import sqlalchemy as sa
from sqlalchemy.dialects import postgresql
from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.ext.asyncio import AsyncConnection

from db.tables import pattern_insights
from domain.insights.rules import InsightStatus

__all__ = [
    "Claim",
    "ClaimRequest",
    "GeneratedRow",
    "InsightRow",
    "claim_generation",
    "held_claims",
    "insight_row",
    "record_insufficient",
    "store_failed",
    "store_generated",
]

_t = pattern_insights
_GENERATING = InsightStatus.GENERATING.value


@dataclass(frozen=True, slots=True)
class InsightRow:
    goal_id: UUID
    user_id: UUID
    status: str
    insights: list[dict[str, Any]]
    nudge_config: dict[str, Any] | None
    current_metrics: dict[str, Any] | None
    previous_metrics: dict[str, Any] | None
    checkins_analyzed: int
    error_message: str | None
    summary: str | None
    generated_at: datetime | None
    updated_at: datetime


_ROW_COLUMNS = tuple(_t.c[name] for name in InsightRow.__dataclass_fields__)


async def insight_row(connection: AsyncConnection, user_id: UUID, goal_id: UUID) -> InsightRow | None:
    """The caller's row of their goal."""
    statement = sa.select(*_ROW_COLUMNS).where(_t.c.goal_id == goal_id, _t.c.user_id == user_id)
    row = (await connection.execute(statement)).first()
    return None if row is None else InsightRow(**row._mapping)


def _free(*, stale_before: datetime) -> sa.ColumnElement[bool]:
    """No generation holds the row: not generating, or generating since before the stale bound."""
    return sa.or_(_t.c.status != _GENERATING, _t.c.updated_at < stale_before)


@dataclass(frozen=True, slots=True)
class ClaimRequest:
    goal_id: UUID
    user_id: UUID
    checkins_analyzed: int


async def record_insufficient(
    connection: AsyncConnection, entries: Sequence[ClaimRequest], *, now: datetime, stale_before: datetime
) -> None:
    """Store insufficient_data with the count, only where that changes the row (and none holds it)."""
    if not entries:
        return
    status = InsightStatus.INSUFFICIENT_DATA.value
    insert = postgresql.insert(_t).values(
        [
            {
                "goal_id": e.goal_id,
                "user_id": e.user_id,
                "status": status,
                "checkins_analyzed": e.checkins_analyzed,
            }
            for e in entries
        ]
    )
    changed = sa.tuple_(_t.c.status, _t.c.checkins_analyzed).is_distinct_from(
        sa.tuple_(insert.excluded.status, insert.excluded.checkins_analyzed)
    )
    await connection.execute(
        insert.on_conflict_do_update(
            index_elements=[_t.c.goal_id],
            set_={
                "status": insert.excluded.status,
                "checkins_analyzed": insert.excluded.checkins_analyzed,
                "claim_id": None,
                "updated_at": now,
            },
            where=sa.and_(changed, _free(stale_before=stale_before)),
        )
    )


@dataclass(frozen=True, slots=True)
class Claim:
    goal_id: UUID
    claim_id: UUID
    previous_metrics: dict[str, Any] | None  # the row's current metrics before this generation


async def claim_generation(
    connection: AsyncConnection,
    entries: Sequence[ClaimRequest],
    *,
    now: datetime,
    stale_before: datetime,
    fresh_after: datetime | None = None,
) -> list[Claim]:
    """Set the free rows among `entries` generating under a new claim each; the rows another generation
    holds are left alone and absent from the result. With `fresh_after`, a row completed since then is
    left alone too (the weekly job does not pay twice for one week)."""
    if not entries:
        return []
    insert = postgresql.insert(_t).values(
        [
            {
                "goal_id": e.goal_id,
                "user_id": e.user_id,
                "status": _GENERATING,
                "checkins_analyzed": e.checkins_analyzed,
                "claim_id": uuid.uuid4(),
                "updated_at": now,
            }
            for e in entries
        ]
    )
    claimable = _free(stale_before=stale_before)
    if fresh_after is not None:
        recent = sa.and_(_t.c.status == InsightStatus.COMPLETED.value, _t.c.generated_at >= fresh_after)
        claimable = sa.and_(claimable, sa.not_(recent))
    statement = insert.on_conflict_do_update(
        index_elements=[_t.c.goal_id],
        set_={
            "status": insert.excluded.status,
            "checkins_analyzed": insert.excluded.checkins_analyzed,
            "claim_id": insert.excluded.claim_id,
            "updated_at": insert.excluded.updated_at,
        },
        where=claimable,
    ).returning(_t.c.goal_id, _t.c.claim_id, _t.c.current_metrics)
    return [
        Claim(row.goal_id, row.claim_id, row.current_metrics) for row in await connection.execute(statement)
    ]


def _claim_values(claims: Mapping[UUID, UUID]) -> sa.Values:
    return sa.values(
        sa.column("goal_id", postgresql.UUID(as_uuid=True)),
        sa.column("claim_id", postgresql.UUID(as_uuid=True)),
        name="claims",
    ).data(list(claims.items()))


async def held_claims(connection: AsyncConnection, claims: Mapping[UUID, UUID]) -> list[Claim]:
    """Those of the (goal id → claim id) claims still holding their row."""
    if not claims:
        return []
    held = _claim_values(claims)
    statement = sa.select(_t.c.goal_id, _t.c.claim_id, _t.c.current_metrics).where(
        _t.c.goal_id == held.c.goal_id, _t.c.claim_id == held.c.claim_id, _t.c.status == _GENERATING
    )
    return [
        Claim(row.goal_id, row.claim_id, row.current_metrics) for row in await connection.execute(statement)
    ]


@dataclass(frozen=True, slots=True)
class GeneratedRow:
    goal_id: UUID
    claim_id: UUID
    insights: list[dict[str, Any]]
    nudge_config: dict[str, Any]
    current_metrics: dict[str, Any]
    previous_metrics: dict[str, Any] | None
    summary: str


async def store_generated(
    connection: AsyncConnection, rows: Sequence[GeneratedRow], *, now: datetime
) -> set[UUID]:
    """Complete the rows whose claim still holds; returns their goal ids."""
    if not rows:
        return set()
    values = sa.values(
        sa.column("goal_id", postgresql.UUID(as_uuid=True)),
        sa.column("claim_id", postgresql.UUID(as_uuid=True)),
        sa.column("insights", JSONB),
        sa.column("nudge_config", JSONB),
        sa.column("current_metrics", JSONB),
        sa.column("previous_metrics", JSONB),
        sa.column("summary", sa.Text),
        name="generated",
    ).data(
        [
            (
                row.goal_id,
                row.claim_id,
                row.insights,
                row.nudge_config,
                row.current_metrics,
                row.previous_metrics,
                row.summary,
            )
            for row in rows
        ]
    )
    statement = (
        sa.update(_t)
        .where(
            _t.c.goal_id == values.c.goal_id, _t.c.claim_id == values.c.claim_id, _t.c.status == _GENERATING
        )
        .values(
            status=InsightStatus.COMPLETED.value,
            insights=values.c.insights,
            nudge_config=values.c.nudge_config,
            current_metrics=values.c.current_metrics,
            previous_metrics=values.c.previous_metrics,
            summary=values.c.summary,
            error_message=None,
            claim_id=None,
            generated_at=now,
            updated_at=now,
        )
        .returning(_t.c.goal_id)
    )
    return set((await connection.execute(statement)).scalars())


async def store_failed(
    connection: AsyncConnection, claims: Mapping[UUID, UUID], error: str, *, now: datetime
) -> None:
    """Mark the generations (goal id → claim id) that broke failed, where their claim still holds;
    only a refresh retries them."""
    held = _claim_values(claims)
    await connection.execute(
        sa.update(_t)
        .where(_t.c.goal_id == held.c.goal_id, _t.c.claim_id == held.c.claim_id, _t.c.status == _GENERATING)
        .values(status=InsightStatus.FAILED.value, error_message=error, claim_id=None, updated_at=now)
    )
