"""Due check-in prompts and follow-ups: pending check-ins whose prompt_due_at / followup_due_at passed.

Reached through the partial indexes on those columns (WHERE status = 'pending' AND … IS NOT NULL), so
answered rows are never even looked at, and an idle minute costs one empty index range scan.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime
from enum import StrEnum
from typing import Any
from uuid import UUID

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncConnection

from db.partial_index_predicates import is_pending
from db.sql_arrays import uuid_array
from db.tables import check_ins, goals, users

__all__ = ["CheckinNoticeKind", "DueCheckinNotice", "clear_checkin_notices_due", "take_due_checkin_notices"]


class CheckinNoticeKind(StrEnum):
    """The two asks, named like their notification subtype."""

    PROMPT = "checkin_prompt"
    FOLLOWUP = "checkin_followup"


def _due_column(kind: CheckinNoticeKind) -> sa.Column[Any]:
    return check_ins.c.prompt_due_at if kind is CheckinNoticeKind.PROMPT else check_ins.c.followup_due_at


@dataclass(frozen=True, slots=True)
class DueCheckinNotice:
    checkin_id: UUID
    user_id: UUID
    goal_id: UUID
    check_in_date: date
    due_at: datetime
    goal_title: str
    goal_is_active: bool
    user_name: str
    motivation_style: str


async def take_due_checkin_notices(
    connection: AsyncConnection, kind: CheckinNoticeKind, *, now: datetime, limit: int
) -> list[DueCheckinNotice]:
    """Up to `limit` pending check-ins whose `kind` is due at `now` (oldest first), locked for this
    transaction; rows another run has locked are skipped."""
    due_at = _due_column(kind)
    statement = (
        sa.select(
            check_ins.c.id,
            check_ins.c.user_id,
            check_ins.c.goal_id,
            check_ins.c.check_in_date,
            due_at.label("due_at"),
            goals.c.title,
            (goals.c.status == "active").label("goal_is_active"),
            users.c.name,
            users.c.motivation_style,
        )
        .select_from(
            check_ins.join(goals, goals.c.id == check_ins.c.goal_id).join(
                users, users.c.id == check_ins.c.user_id
            )
        )
        # The partial index's predicate, spelled out so the planner uses it.
        .where(is_pending(check_ins.c.status), due_at.is_not(None), due_at <= now)
        .order_by(due_at)
        .limit(limit)
        .with_for_update(of=check_ins, skip_locked=True)
    )
    result = await connection.execute(statement)
    return [
        DueCheckinNotice(
            checkin_id=row.id,
            user_id=row.user_id,
            goal_id=row.goal_id,
            check_in_date=row.check_in_date,
            due_at=row.due_at,
            goal_title=row.title,
            goal_is_active=row.goal_is_active,
            user_name=row.name,
            motivation_style=row.motivation_style,
        )
        for row in result
    ]


async def clear_checkin_notices_due(
    connection: AsyncConnection, kind: CheckinNoticeKind, checkin_ids: Sequence[UUID]
) -> None:
    """The ask was handled (sent, deduplicated or dropped as stale): it is due no more."""
    if not checkin_ids:
        return
    await connection.execute(
        sa.update(check_ins)
        .where(check_ins.c.id == sa.any_(uuid_array("checkin_ids", checkin_ids)))
        .values({_due_column(kind).name: None, "updated_at": sa.func.now()})
    )
